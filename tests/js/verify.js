// Verify a keyed bundle with sigstore-js, offline: trusted root from a file,
// the public key given through the key selector, no log/CT/TSA thresholds.
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const [bundlePath, artifactPath, keyPath, rootPath] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const pem = fs.readFileSync(keyPath, 'utf8');
  const trust = toTrustMaterial(root, (hint) => ({ publicKey: pem, validFor: () => true }));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, fs.readFileSync(artifactPath)));
  console.log('sigstore-js: verified');
} catch (e) {
  console.error('sigstore-js: ' + e.message);
  process.exit(1);
}
