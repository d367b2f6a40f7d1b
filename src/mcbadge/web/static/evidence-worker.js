// Hashes one evidence file at a time with SHA-256, in the verifier's own browser, so that the verification page
// sends the server only digests: a classroom video of minors never leaves the employer's computer.
// The hashing is hash-wasm's (vendor/hash-wasm, byte-exact from the npm package, see its PROVENANCE.json); the
// file is read in slices, so a file of several gigabytes is hashed in constant memory.
/* global hashwasm */
"use strict";
importScripts("vendor/hash-wasm/sha256.umd.min.js");

const SLICE_BYTES = 16 * 1024 * 1024;

self.onmessage = async (event) => {
  const { index, file } = event.data;
  try {
    const hasher = await hashwasm.createSHA256();
    hasher.init();
    for (let offset = 0; offset < file.size; offset += SLICE_BYTES) {
      const slice = await file.slice(offset, offset + SLICE_BYTES).arrayBuffer();
      hasher.update(new Uint8Array(slice));
      self.postMessage({ index, hashed: Math.min(offset + SLICE_BYTES, file.size) });
    }
    self.postMessage({ index, sha256: hasher.digest("hex") });
  } catch (error) {
    self.postMessage({ index, error: String(error) });
  }
};
