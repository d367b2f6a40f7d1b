// The verification form, when the browser runs scripts: evidence files are hashed here (in a Web Worker,
// evidence-worker.js) and only their SHA-256 digests are sent, as evidence_sha256 fields; the file input is
// disabled before submitting, so no file byte is posted. Without scripts (or without Worker / WebAssembly), the
// form posts the files themselves, as it always did.
"use strict";
(() => {
  const form = document.querySelector("form.verify");
  const input = document.getElementById("evidence");
  const status = document.getElementById("evidence_status");
  if (!form || !input || !window.Worker || !window.WebAssembly) return;

  const say = (text) => { if (status) status.textContent = text; };

  const hashAll = (files) => new Promise((resolve, reject) => {
    const worker = new Worker(form.dataset.hashWorker);
    const digests = [];
    const next = () => {
      if (digests.length === files.length) { worker.terminate(); resolve(digests); return; }
      worker.postMessage({ index: digests.length, file: files[digests.length] });
    };
    worker.onmessage = (event) => {
      const { index, hashed, sha256, error } = event.data;
      const file = files[index];
      if (error) { worker.terminate(); reject(new Error(error)); return; }
      if (sha256) {
        digests.push({ name: file.name, sha256, size: file.size });
        next();
      } else {
        const percent = file.size ? Math.floor((100 * hashed) / file.size) : 100;
        say(`Computing the digest of ${file.name} in your browser: ${percent} %`);
      }
    };
    worker.onerror = (event) => { worker.terminate(); reject(new Error(event.message || "the worker failed")); };
    next();
  });

  let ready = false;
  form.addEventListener("submit", (event) => {
    if (ready || input.disabled || input.files.length === 0) return;
    event.preventDefault();
    const files = Array.from(input.files);
    hashAll(files).then((digests) => {
      form.querySelectorAll("input[name=evidence_sha256]").forEach((old) => old.remove());
      for (const digest of digests) {
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = "evidence_sha256";
        field.value = JSON.stringify(digest);
        form.appendChild(field);
      }
      input.disabled = true; // a disabled input is not submitted: the files stay here
      say(`Sending the digests of ${digests.length} file(s); the files themselves stay on your computer.`);
    }, (error) => {
      say(`Your browser could not compute the digests (${error.message}); the files will be uploaded instead.`);
    }).finally(() => {
      ready = true;
      form.submit();
    });
  });

  // Coming back to the page (the browser's back button) gives the files back to the form.
  window.addEventListener("pageshow", () => {
    input.disabled = false;
    ready = false;
    form.querySelectorAll("input[name=evidence_sha256]").forEach((old) => old.remove());
  });
})();
