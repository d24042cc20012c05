// Verify a keyless Sigstore bundle with sigstore-js against a trusted root
// file, requiring one transparency-log entry and one SCT, and the given
// certificate identity (SAN) and OIDC issuer. A DSSE bundle (an in-toto
// attestation) is verified as an envelope, then its statement must name
// the artifact's SHA-256 as a subject, as `cosign verify-blob-attestation`
// requires.
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const [bundlePath, artifactPath, rootPath, identity, issuer] = process.argv.slice(2);
try {
  const json = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
  const bundle = bundleFromJSON(json);
  const artifact = fs.readFileSync(artifactPath);
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 0 });
  const isDsse = Boolean(json.dsseEnvelope);
  verifier.verify(toSignedEntity(bundle, isDsse ? undefined : artifact), {
    subjectAlternativeName: identity,
    extensions: { issuer },
  });
  if (isDsse) {
    if (json.dsseEnvelope.payloadType !== 'application/vnd.in-toto+json') throw new Error('not an in-toto payload');
    const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString());
    const digest = crypto.createHash('sha256').update(artifact).digest('hex');
    if (!statement.subject.some((s) => s.digest?.sha256 === digest)) throw new Error('no statement subject matches the artifact');
  }
  console.log('sigstore-js: verified');
} catch (e) {
  console.error('sigstore-js: ' + e.message);
  process.exit(1);
}
