// Check a keyed Ed25519 message-signature bundle with OpenSSL (through
// node's crypto): the digest must be the artifact's SHA-256 and the
// signature a pure Ed25519 signature over the artifact. Used because
// sigstore-js cannot verify Ed25519 message signatures (it passes 'sha256'
// to crypto.verify, which OpenSSL refuses for Ed25519 keys).
const fs = require('fs');
const crypto = require('crypto');
const [bundlePath, artifactPath, keyPath] = process.argv.slice(2);
const bundle = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
const artifact = fs.readFileSync(artifactPath);
const digest = crypto.createHash('sha256').update(artifact).digest('base64');
const key = crypto.createPublicKey(fs.readFileSync(keyPath));
const signature = Buffer.from(bundle.messageSignature.signature, 'base64');
const ok = bundle.messageSignature.messageDigest.digest === digest && crypto.verify(null, artifact, key, signature);
console.log(ok ? 'openssl: verified' : 'openssl: rejected');
process.exit(ok ? 0 : 1);
