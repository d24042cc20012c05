// Verify a keyless Sigstore bundle with sigstore-js against a trusted root
// file, requiring one transparency-log entry and one SCT, and the given
// certificate identity (SAN) and OIDC issuer.
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const [bundlePath, artifactPath, rootPath, identity, issuer] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, fs.readFileSync(artifactPath)), {
    subjectAlternativeName: identity,
    extensions: { issuer },
  });
  console.log('sigstore-js: verified');
} catch (e) {
  console.error('sigstore-js: ' + e.message);
  process.exit(1);
}
