// Offline harness around digitalbazaar's reference Verifiable Credentials
// implementation (@digitalbazaar/vc + DataIntegrityProof + eddsa-rdfc-2022).
//
// Protocol: JSON lines. Each line on stdin is one request object; each
// request produces exactly one line on stdout:
//   {"ok": true, "result": ...}  or  {"ok": false, "error": "message"}
// Requests are handled strictly one at a time, in order, so responses line
// up with requests. A bad request never terminates the process.
//
// Commands: ping, sign, verify, canonize, bench, issueWith, jwtSign (see
// handlers below). issueWith and jwtSign stand for the other issuers a
// teacher's credentials come from: each call generates a fresh key (never
// returned: only its public half and its DID), signs with the named suite or
// JOSE algorithm of the pinned packages, and sets the credential's issuer to
// that key's DID.
//
// The document loader never touches the network. It serves, in order:
//   1. the mcbadge project's pinned JSON-LD contexts
//      (../src/mcbadge/vc/contexts/PROVENANCE.json, read once at start-up);
//   2. the request's `documents` map ({url: document});
//   3. did:key DIDs (Ed25519 only), whose DID documents are built locally;
//   4. fragment URLs (`<base>#<frag>`, e.g. verification methods) whose base
//      document is available from 2 or 3: the node with that id is returned
//      as a stand-alone document with an `@context`;
// plus, via jsigs.extendContextLoader, the security v1/v2 contexts bundled
// in the pinned jsonld-signatures package (jsonld-signatures frames non-DID
// controller documents with security/v2). Anything else is an error that
// names the URL.
//
// Caveat: jsonld keeps a process-wide cache of resolved contexts keyed by
// URL, so serving two different documents under one context URL in
// different requests is not reliable; use distinct URLs.

import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {createInterface} from 'node:readline';
import {performance} from 'node:perf_hooks';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {cryptosuite as ecdsaRdfc2019} from
  '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from
  '@digitalbazaar/ed25519-verification-key-2020';
import * as jose from 'jose';
import * as base58btc from 'base58-universal';
import jsigs from 'jsonld-signatures';
import jsonld from 'jsonld';

// Libraries must not write to stdout: it carries the protocol.
console.log = console.error;
console.info = console.error;

const DID_V1 = 'https://www.w3.org/ns/did/v1';
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONTEXTS_DIR = join(HERE, '..', 'src', 'mcbadge', 'vc', 'contexts');

/** url -> parsed JSON-LD context, from the project's pinned set. */
function loadPinnedContexts() {
  const provenance = JSON.parse(
    readFileSync(join(CONTEXTS_DIR, 'PROVENANCE.json'), 'utf8'));
  const map = new Map();
  for(const {url, file} of provenance.contexts) {
    map.set(url, JSON.parse(readFileSync(join(CONTEXTS_DIR, file), 'utf8')));
  }
  return map;
}

const PINNED = loadPinnedContexts();

// ---------------------------------------------------------------------------
// did:key

/** Build the DID document of an Ed25519 did:key (Multikey representation). */
function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
  // did:key method-specific id = multibase(base58btc) of
  // multicodec ed25519-pub (varint 0xed 0x01) + 32-byte public key.
  // (ed25519-multikey does not check the multicodec header, so we do.)
  const bytes = fingerprint.startsWith('z') ?
    base58btc.decode(fingerprint.slice(1)) : undefined;
  if(!(bytes && bytes.length === 34 && bytes[0] === 0xed &&
    bytes[1] === 0x01)) {
    throw new Error(`Unsupported or malformed did:key (only Ed25519): ${did}`);
  }
  const vmId = `${did}#${fingerprint}`;
  return {
    '@context': [DID_V1, MULTIKEY_V1],
    id: did,
    verificationMethod: [{
      id: vmId, type: 'Multikey', controller: did,
      publicKeyMultibase: fingerprint
    }],
    authentication: [vmId],
    assertionMethod: [vmId],
    capabilityDelegation: [vmId],
    capabilityInvocation: [vmId]
  };
}

// ---------------------------------------------------------------------------
// Document loader

const clone = x => structuredClone(x);
const asJson = d => (typeof d === 'string' ? JSON.parse(d) : d);

/** Find the node whose id is `url` anywhere in `doc` (ids may be relative). */
function findNode(doc, url, base) {
  const absolute = id => (typeof id === 'string' && id.startsWith('#') ?
    base + id : id);
  const stack = [doc];
  while(stack.length) {
    const node = stack.pop();
    if(Array.isArray(node)) {
      stack.push(...node);
    } else if(node && typeof node === 'object') {
      if(node !== doc && absolute(node.id) === url) {
        return node;
      }
      for(const [key, value] of Object.entries(node)) {
        if(key !== '@context') {
          stack.push(value);
        }
      }
    }
  }
  return undefined;
}

function makeDocumentLoader(documents = {}) {
  if(documents === null || typeof documents !== 'object' ||
    Array.isArray(documents)) {
    throw new TypeError('"documents" must be an object {url: document}.');
  }
  const wrap = (url, document) => ({contextUrl: null, documentUrl: url,
    document});

  // Whole documents only (no fragment handling).
  async function loadWhole(url) {
    if(PINNED.has(url)) {
      return clone(PINNED.get(url));
    }
    if(Object.hasOwn(documents, url)) {
      return clone(asJson(documents[url]));
    }
    if(url.startsWith('did:key:') && !/[#?/]/.test(url)) {
      return didKeyDocument(url);
    }
    return undefined;
  }

  async function loader(url) {
    const whole = await loadWhole(url);
    if(whole !== undefined) {
      return wrap(url, whole);
    }
    const hash = url.indexOf('#');
    if(hash > 0) {
      const base = url.slice(0, hash);
      const baseDoc = await loadWhole(base);
      if(baseDoc !== undefined) {
        const node = findNode(baseDoc, url, base);
        if(!node) {
          throw new Error(`"${url}" not found in document "${base}".`);
        }
        // data-integrity / ed25519-multikey want a stand-alone verification
        // method document: absolute id, a controller, and an @context
        // (ed25519-multikey insists on the multikey/v1 context for Multikey).
        const vm = {...clone(node), id: url};
        vm.controller = vm.controller ?? baseDoc.id ?? base;
        vm['@context'] = vm.type === 'Multikey' ?
          MULTIKEY_V1 : (node['@context'] ?? baseDoc['@context']);
        return wrap(url, vm);
      }
    }
    throw new Error(`Offline document loader: no document for URL "${url}".`);
  }

  return jsigs.extendContextLoader(loader);
}

// ---------------------------------------------------------------------------
// Signing and verification

async function makeSigningSuite(req) {
  const {privateKeyMultibase, publicKeyMultibase, controller,
    verificationMethod, created} = req;
  for(const [name, value] of Object.entries({privateKeyMultibase,
    publicKeyMultibase, controller, verificationMethod})) {
    if(typeof value !== 'string' || !value) {
      throw new TypeError(`"${name}" must be a non-empty string.`);
    }
  }
  const keyPair = await Ed25519Multikey.from({
    '@context': MULTIKEY_V1,
    type: 'Multikey',
    id: verificationMethod,
    controller,
    publicKeyMultibase,
    secretKeyMultibase: privateKeyMultibase
  });
  return new DataIntegrityProof({
    signer: keyPair.signer(),
    // `undefined` means "now" (data-integrity stamps the current time).
    date: created ?? undefined,
    cryptosuite: eddsaRdfc2022
  });
}

function requireObject(value, name) {
  if(value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`"${name}" must be a JSON object.`);
  }
}

async function sign(req, {suite, documentLoader} = {}) {
  requireObject(req.credential, 'credential');
  suite = suite ?? await makeSigningSuite(req);
  documentLoader = documentLoader ?? makeDocumentLoader(req.documents);
  return vc.issue({
    // issue() may add properties (e.g. issuanceDate for VCDM 1.1): copy.
    credential: clone(req.credential),
    suite,
    documentLoader,
    ...(req.now ? {now: req.now} : {})
  });
}

const VERIFY_SUITE = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

/** An error's message plus, for jsonld errors, the underlying cause. */
function describe(err) {
  let text = String(err?.message ?? err);
  const cause = err?.details?.cause ?? err?.cause;
  if(cause?.message && !text.includes(cause.message)) {
    text += ` (cause: ${cause.message})`;
  }
  return text;
}

/** Flatten the nested error structures of vc/jsigs into message strings. */
function errorMessages(result) {
  const out = [];
  const visit = err => {
    if(!err) {
      return;
    }
    if(Array.isArray(err)) {
      err.forEach(visit);
      return;
    }
    if(Array.isArray(err.errors) && err.errors.length) {
      err.errors.forEach(visit);
      return;
    }
    out.push(describe(err));
  };
  visit(result.error);
  for(const key of ['results', 'statusResult']) {
    const sub = result[key];
    for(const r of Array.isArray(sub) ? sub : (sub ? [sub] : [])) {
      visit(r.error);
    }
  }
  return [...new Set(out)];
}

async function verify(req, {documentLoader} = {}) {
  requireObject(req.credential, 'credential');
  documentLoader = documentLoader ?? makeDocumentLoader(req.documents);
  const options = {
    credential: req.credential,
    suite: VERIFY_SUITE,
    documentLoader
  };
  if(req.now) {
    options.now = req.now;
  }
  if(req.checkIssuer === false) {
    // vc's default CredentialIssuancePurpose also requires credential.issuer
    // to equal the verification method's controller. The W3C eddsa vectors
    // (issuer https://vc.example/..., key did:key:...) fail that VCDM-level
    // check by design, so callers may opt out. AssertionProofPurpose still
    // requires the controller document to list the key in assertionMethod.
    options.purpose = new jsigs.purposes.AssertionProofPurpose();
  }
  if(req.credential.credentialStatus !== undefined) {
    // vc.verifyCredential refuses credentials with credentialStatus unless a
    // checkStatus function is supplied. Status checking is NOT what this
    // harness compares (it tests proofs/canonicalization), so accept it.
    options.checkStatus = async () => ({verified: true});
  }
  const result = await vc.verifyCredential(options);
  return {verified: result.verified === true, errors: errorMessages(result)};
}

async function canonize(req) {
  if(req.document === null || typeof req.document !== 'object') {
    throw new TypeError('"document" must be a JSON object or array.');
  }
  // Same options the eddsa-rdfc-2022 cryptosuite uses for the document
  // (safe mode, no base IRI, i18n-datatype for @direction).
  return jsonld.canonize(req.document, {
    documentLoader: makeDocumentLoader(req.documents),
    safe: true,
    base: null,
    rdfDirection: 'i18n-datatype',
    canonizeOptions: {algorithm: 'RDFC-1.0', format: 'application/n-quads'}
  });
}

/** Run `fn` for about `seconds` (at least once); return {n, opsPerS}. */
async function timeLoop(fn, seconds) {
  const budget = seconds * 1000;
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await fn();
    n++;
    elapsed = performance.now() - start;
  } while(elapsed < budget);
  return {n, opsPerS: n / (elapsed / 1000)};
}

async function bench(req) {
  const seconds = req.seconds ?? 5;
  if(typeof seconds !== 'number' || !(seconds > 0) || seconds > 600) {
    throw new TypeError('"seconds" must be a number in (0, 600].');
  }
  const warmup = Number.isInteger(req.warmup) ? req.warmup : 20;
  const suite = await makeSigningSuite(req);
  // One loader for the whole run. Note jsonld also keeps a process-wide cache
  // of resolved contexts, so this measures the steady state (contexts already
  // parsed), like a long-running issuer/verifier.
  const documentLoader = makeDocumentLoader(req.documents);
  const signed = await sign(req, {suite, documentLoader});
  const verifyReq = {credential: signed, checkIssuer: req.checkIssuer,
    now: req.now};
  const check = await verify(verifyReq, {documentLoader});
  if(!check.verified) {
    throw new Error('bench: signed credential does not verify: ' +
      check.errors.join('; '));
  }
  for(let i = 0; i < warmup; i++) {
    await sign(req, {suite, documentLoader});
    await verify(verifyReq, {documentLoader});
  }
  // signSeconds: 0 times verification only (bench/bench_verify_http.py).
  const signSeconds = req.signSeconds ?? seconds;
  if(typeof signSeconds !== 'number' || !(signSeconds >= 0) || signSeconds > 600) {
    throw new TypeError('"signSeconds" must be a number in [0, 600].');
  }
  const s = signSeconds === 0 ? {opsPerS: null, n: 0} :
    await timeLoop(() => sign(req, {suite, documentLoader}), signSeconds);
  const v = await timeLoop(async () => {
    const r = await verify(verifyReq, {documentLoader});
    if(!r.verified) {
      throw new Error('bench: verification failed during timing');
    }
  }, seconds);
  return {
    sign_ops_per_s: s.opsPerS,
    verify_ops_per_s: v.opsPerS,
    sign_n: s.n,
    verify_n: v.n
  };
}


// ---------------------------------------------------------------------------
// Credentials from other issuers (fresh keys, the pinned suites)

/** The issuer id of `credential` set to `did` (a string, or an object's id). */
function withIssuer(credential, did) {
  const copy = clone(credential);
  if(copy.issuer && typeof copy.issuer === 'object') {
    copy.issuer.id = did;
  } else {
    copy.issuer = did;
  }
  return copy;
}

/** `didMethod`: "key" (default), or {web: "did:web:...", fragment: "..."}. */
function keyNames(didMethod, publicKeyMultibase) {
  if(didMethod === undefined || didMethod === 'key') {
    const did = `did:key:${publicKeyMultibase}`;
    return {did, id: `${did}#${publicKeyMultibase}`};
  }
  if(didMethod && typeof didMethod.web === 'string') {
    return {did: didMethod.web,
      id: `${didMethod.web}#${didMethod.fragment ?? publicKeyMultibase}`};
  }
  throw new TypeError('"didMethod" must be "key" or {web, fragment}.');
}

async function signingSuite(suiteName, didMethod, created) {
  const date = created ?? undefined;
  if(suiteName === 'Ed25519Signature2020') {
    const key = await Ed25519VerificationKey2020.generate();
    const names = keyNames(didMethod, key.fingerprint());
    key.id = names.id;
    key.controller = names.did;
    return {suite: new Ed25519Signature2020({key, date}), names,
      publicKeyMultibase: key.fingerprint()};
  }
  if(suiteName === 'ecdsa-rdfc-2019') {
    const key = await EcdsaMultikey.generate({curve: 'P-256'});
    const names = keyNames(didMethod, key.publicKeyMultibase);
    key.id = names.id;
    key.controller = names.did;
    return {suite: new DataIntegrityProof({signer: key.signer(), date,
      cryptosuite: ecdsaRdfc2019}), names,
    publicKeyMultibase: key.publicKeyMultibase};
  }
  if(suiteName === 'eddsa-rdfc-2022') {
    const key = await Ed25519Multikey.generate();
    const names = keyNames(didMethod, key.publicKeyMultibase);
    key.id = names.id;
    key.controller = names.did;
    return {suite: new DataIntegrityProof({signer: key.signer(), date,
      cryptosuite: eddsaRdfc2022}), names,
    publicKeyMultibase: key.publicKeyMultibase};
  }
  throw new TypeError(`unknown suite ${JSON.stringify(suiteName)}`);
}

// Sign `credential` with a fresh key of `suite`. `setIssuer` (default true)
// makes the key's DID the issuer; false adds a proof to a credential that
// may already have some (a proof set), leaving its issuer alone.
async function issueWith(req) {
  requireObject(req.credential, 'credential');
  const {suite, names, publicKeyMultibase} = await signingSuite(
    req.suite, req.didMethod, req.created);
  const document = req.setIssuer === false ? clone(req.credential) :
    withIssuer(req.credential, names.did);
  const signed = await jsigs.sign(document, {
    suite,
    purpose: new jsigs.purposes.AssertionProofPurpose(),
    documentLoader: makeDocumentLoader(req.documents)
  });
  return {credential: signed, did: names.did, verificationMethod: names.id,
    publicKeyMultibase};
}

const b64url = bytes => Buffer.from(bytes).toString('base64url');

/** The Multikey of a public JWK: Ed25519 (0xed01) or P-256 (0x8024). */
function multikeyOfJwk(jwk) {
  if(jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    return 'z' + base58btc.encode(Buffer.concat([Buffer.from([0xed, 0x01]),
      Buffer.from(jwk.x, 'base64url')]));
  }
  if(jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const y = Buffer.from(jwk.y, 'base64url');
    const prefix = (y[y.length - 1] & 1) ? 0x03 : 0x02;
    return 'z' + base58btc.encode(Buffer.concat([Buffer.from([0x80, 0x24,
      prefix]), Buffer.from(jwk.x, 'base64url')]));
  }
  throw new TypeError(`no did:key for a ${jwk.kty} key`);
}

// A VC-JWT (or VC-JOSE token) signed by jose with a fresh key of `alg`
// (EdDSA, ES256, RS256). `didMethod`: "key", "jwk" or {web, fragment}.
// `shape`: "vc-claim" (OB 3.0 / VC-JWT 1.1: {vc, iss, jti, nbf}) or
// "credential" (VC-JOSE-COSE: the credential is the payload, typ vc+jwt).
// `header` adds to (or overrides) the protected header.
async function jwtSign(req) {
  requireObject(req.credential, 'credential');
  const alg = req.alg;
  const options = {extractable: true};
  if(alg === 'EdDSA') {
    options.crv = 'Ed25519';
  } else if(alg === 'RS256') {
    options.modulusLength = 2048;
  } else if(alg !== 'ES256') {
    throw new TypeError(`unsupported alg ${JSON.stringify(alg)}`);
  }
  const {publicKey, privateKey} = await jose.generateKeyPair(alg, options);
  const publicJwk = await jose.exportJWK(publicKey);
  let did;
  let kid;
  const method = req.didMethod ?? 'key';
  if(method === 'key') {
    const multikey = multikeyOfJwk(publicJwk);
    did = `did:key:${multikey}`;
    kid = `${did}#${multikey}`;
  } else if(method === 'jwk') {
    did = `did:jwk:${b64url(JSON.stringify(publicJwk))}`;
    kid = `${did}#0`;
  } else if(method && typeof method.web === 'string') {
    did = method.web;
    kid = `${did}#${method.fragment ?? 'key-1'}`;
  } else {
    throw new TypeError('"didMethod" must be "key", "jwk" or {web, fragment}.');
  }
  const credential = withIssuer(req.credential, did);
  let payload;
  let typ;
  if(req.shape === 'credential') {
    payload = credential;
    typ = 'vc+jwt';
  } else {
    payload = {vc: credential, iss: did};
    if(typeof credential.id === 'string') {
      payload.jti = credential.id;
    }
    const from = credential.validFrom ?? credential.issuanceDate;
    if(from) {
      payload.nbf = Math.ceil(Date.parse(from) / 1000);
    }
    typ = 'JWT';
  }
  const header = {alg, typ, kid, ...(req.header ?? {})};
  const token = await new jose.CompactSign(
    new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(privateKey);
  return {token, did, kid, publicJwk};
}

const HANDLERS = {
  ping: async () => 'pong',
  sign,
  verify,
  canonize,
  bench,
  issueWith,
  jwtSign
};

// ---------------------------------------------------------------------------
// Main loop

async function handleLine(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch(e) {
    return {ok: false, error: `invalid JSON request: ${e.message}`};
  }
  if(req === null || typeof req !== 'object' || Array.isArray(req)) {
    return {ok: false, error: 'request must be a JSON object'};
  }
  const handler = Object.hasOwn(HANDLERS, req.cmd) ? HANDLERS[req.cmd] : null;
  if(!handler) {
    return {ok: false, error: `unknown cmd: ${JSON.stringify(req.cmd)}`};
  }
  try {
    return {ok: true, result: await handler(req)};
  } catch(e) {
    const details = Array.isArray(e?.errors) && e.errors.length ?
      ': ' + e.errors.map(describe).join('; ') : '';
    return {ok: false, error: `${describe(e)}${details}`};
  }
}

function send(response) {
  let text;
  try {
    text = JSON.stringify(response);
  } catch(e) {
    text = JSON.stringify({ok: false, error: `unserialisable result: ${e}`});
  }
  process.stdout.write(text + '\n');
}

// A stray rejection inside a library must not kill the long-running process.
process.on('unhandledRejection', e => {
  console.error('reference.mjs: unhandled rejection:', e);
});

const rl = createInterface({input: process.stdin, crlfDelay: Infinity});
for await (const line of rl) {
  if(line.trim() === '') {
    continue;
  }
  send(await handleLine(line));
}
