// A wallet, for tests: redeems an OpenID4VCI credential offer with the OpenWallet Foundation's
// @openid4vc/openid4vci client (pinned in package.json), the pre-authorized code flow with a transaction code,
// or the authorization code flow (PKCE) in two steps, the earner's approval in between.
//
// Usage: node wallet.mjs < request.json, where the request is
//   {"offer": "openid-credential-offer://?credential_offer=...", "txCode": "123456",
//    "configurationId": "OpenBadgeCredential_ldp_vc", "keyForm": "did" | "jwk"}
// or, for the authorization code flow, first
//   {"offer": ..., "clientId": "...", "redirectUri": "..."} -> {"ok": true, "authorizationRequestUrl": ...,
//                                                               "codeVerifier": ...}
// then, with the code the redirect brought back,
//   {"offer": ..., "clientId": ..., "redirectUri": ..., "authorizationCode": ..., "codeVerifier": ...,
//    "configurationId": ..., "keyForm": ...} -> as the pre-authorized code flow's answer
// or a list of them (redeemed one after the other, each with a fresh key: one Node start for several wallets).
// It prints one JSON line: {"ok": true, "holder": "did:key:...", "credentials": [...], "tokenResponse": {...}}
// or {"ok": false, "stage": "...", "error": "...", "status": 400, "body": {...}} for a refusal (a list of
// them for a list).
//
// The wallet's key is a fresh Ed25519 key (node:crypto); its did:key is made here with the multicodec prefix
// 0xed01 and base58btc, as the did:key method says. http:// URLs are allowed: the server runs on loopback.

import {createHash, generateKeyPairSync, randomBytes, sign as edSign} from 'node:crypto';
import {readFileSync} from 'node:fs';

import * as base58btc from 'base58-universal';
import {clientAuthenticationAnonymous, clientAuthenticationNone, setGlobalConfig} from '@openid4vc/oauth2';
import {Openid4vciClient} from '@openid4vc/openid4vci';

// Libraries must not write to stdout: it carries the answer.
console.log = console.error;
console.info = console.error;

setGlobalConfig({allowInsecureUrls: true});

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

function walletKey() {
  const {publicKey, privateKey} = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({format: 'jwk'});
  const raw = Buffer.from(jwk.x, 'base64url');
  const did = 'did:key:z' + base58btc.encode(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
  return {did, didUrl: `${did}#${did.slice('did:key:'.length)}`, jwk, privateKey};
}

function callbacks(key, clientId) {
  return {
    fetch,
    hash: (data, alg) => {
      if(alg !== 'sha-256') {
        throw new Error(`unsupported hash ${alg}`);
      }
      return new Uint8Array(createHash('sha256').update(data).digest());
    },
    generateRandom: (n) => new Uint8Array(randomBytes(n)),
    // A public client: the pre-authorized code needs no client; an authorization code is redeemed with the
    // client_id it was issued to (RFC 6749 §4.1.3).
    clientAuthentication: clientId ? clientAuthenticationNone({clientId}) : clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      const signature = edSign(null, Buffer.from(input), key.privateKey);
      return {jwt: `${input}.${b64url(signature)}`, signerJwk: key.jwk};
    },
  };
}

async function refusal(stage, error) {
  // The client's errors carry the HTTP response they could not accept.
  const response = error?.response?.response ?? error?.response;
  let body;
  try {
    body = error?.errorResponse ?? (response?.clone ? await response.clone().json() : undefined);
  } catch {
    body = undefined;
  }
  return {ok: false, stage, error: String(error?.message ?? error), status: response?.status, body};
}

async function redeem(request) {
  const key = walletKey();
  const client = new Openid4vciClient({callbacks: callbacks(key, request.clientId)});
  let stage = 'offer';
  try {
    const credentialOffer = await client.resolveCredentialOffer(request.offer);
    stage = 'metadata';
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    if(request.clientId && !request.authorizationCode) {
      stage = 'authorize';
      const {authorizationRequestUrl, pkce} = await client.createAuthorizationRequestUrlFromOffer({
        credentialOffer, issuerMetadata, clientId: request.clientId, redirectUri: request.redirectUri});
      return {ok: true, authorizationRequestUrl, codeVerifier: pkce?.codeVerifier};
    }
    stage = 'token';
    const {accessTokenResponse} = request.authorizationCode ?
      await client.retrieveAuthorizationCodeAccessTokenFromOffer({
        credentialOffer, issuerMetadata, authorizationCode: request.authorizationCode,
        pkceCodeVerifier: request.codeVerifier, redirectUri: request.redirectUri}) :
      await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
        credentialOffer, issuerMetadata, txCode: request.txCode});
    stage = 'nonce';
    const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
    stage = 'proof';
    const signer = request.keyForm === 'jwk' ?
      {method: 'jwk', publicJwk: key.jwk, alg: 'EdDSA'} :
      {method: 'did', didUrl: key.didUrl, alg: 'EdDSA'};
    const {jwt} = await client.createCredentialRequestJwtProof({
      issuerMetadata, credentialConfigurationId: request.configurationId, signer, nonce});
    stage = 'credential';
    const {credentialResponse} = await client.retrieveCredentials({
      issuerMetadata, accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: request.configurationId, proofs: {jwt: [jwt]}});
    return {
      ok: true, holder: key.did, version: issuerMetadata.originalDraftVersion,
      tokenResponse: {token_type: accessTokenResponse.token_type, expires_in: accessTokenResponse.expires_in},
      credentials: credentialResponse.credentials.map((entry) => entry.credential),
    };
  } catch(error) {
    return refusal(stage, error);
  }
}

async function main() {
  const request = JSON.parse(readFileSync(0, 'utf8'));
  if(!Array.isArray(request)) {
    return redeem(request);
  }
  const answers = [];
  for(const one of request) {
    answers.push(await redeem(one));
  }
  return answers;
}

process.stdout.write(JSON.stringify(await main()) + '\n');
