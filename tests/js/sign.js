// Sign a file into a keyed Sigstore bundle with sigstore-js (no witnesses:
// no transparency log, as a keyed signature without Rekor).
const fs = require('fs');
const crypto = require('crypto');
const { bundleToJSON } = require('@sigstore/bundle');
const { MessageSignatureBundleBuilder } = require('@sigstore/sign');
const [artifactPath, bundlePath, pubPath, keyType] = process.argv.slice(2);
(async () => {
  const { privateKey, publicKey } = keyType === 'ed25519'
    ? crypto.generateKeyPairSync('ed25519')
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  fs.writeFileSync(pubPath, pem);
  const signer = {
    sign: async (data) => ({
      signature: crypto.sign(keyType === 'ed25519' ? null : 'sha256', data, privateKey),
      key: { $case: 'publicKey', publicKey: pem, hint: 'sigstore-js-test' },
    }),
  };
  const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [] });
  const bundle = await builder.create({ data: fs.readFileSync(artifactPath) });
  fs.writeFileSync(bundlePath, JSON.stringify(bundleToJSON(bundle), null, 2));
  console.log('sigstore-js: signed ' + bundle.mediaType);
})().catch((e) => { console.error(e); process.exit(1); });
