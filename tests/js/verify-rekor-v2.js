// Verify a keyless Sigstore bundle signed through Rekor v2 and a timestamp
// authority with sigstore-js: one transparency-log entry (checkpoint and
// inclusion proof), one SCT, and one verified RFC 3161 timestamp (Rekor v2
// records no time, so the timestamp is what proves the certificate was
// valid), plus the given certificate identity and OIDC issuer. Prints
// "sigstore-js: verified" and exits 0, or prints the error and exits 1.
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const [bundlePath, artifactPath, rootPath, identity, issuer] = process.argv.slice(2);
try {
  const json = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
  const bundle = bundleFromJSON(json);
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
  const artifact = json.dsseEnvelope ? undefined : fs.readFileSync(artifactPath);
  verifier.verify(toSignedEntity(bundle, artifact), { subjectAlternativeName: identity, extensions: { issuer } });
  console.log('sigstore-js: verified');
} catch (e) {
  console.log(`sigstore-js: ${e.message}`);
  process.exit(1);
}
