// A local stand-in for Sigstore's Fulcio and Rekor: the Sigstore project's
// @sigstore/mock handlers served over HTTP on 127.0.0.1 (an ephemeral port).
// Writes the matching trusted root to the path given as argv[2], then prints
// one JSON line {"url": ...} and serves until killed.
//
// @sigstore/mock logs a proposed entry as it comes. Real Rekor turns a
// `dsse` v0.0.1 proposal into a canonical body (envelope and payload
// hashes, signatures with their verifiers) after checking every signature,
// and verifiers compare bundles against that body; `rekorDsse` below does
// the same, following rekor's pkg/types/dsse/v0.0.1, so DSSE bundles are
// tested against what the public-good log would store.
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const { initializeCA, initializeCTLog, initializeTLog, fulcioHandler, rekorHandler } = require('@sigstore/mock');

const rootPath = process.argv[2];

// DSSE pre-authentication encoding (DSSE spec, protocol.md).
const pae = (type, payload) => Buffer.concat([
  Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);

function publicKeyOf(pem) {
  return pem.includes('CERTIFICATE') ? new crypto.X509Certificate(pem).publicKey : crypto.createPublicKey(pem);
}

function verifies(key, data, signature) {
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return crypto.verify(algorithm, data, key, signature);
}

// A `dsse` proposal to the canonical body rekor stores, or an Error.
function rekorDsse(proposed) {
  const content = proposed?.spec?.proposedContent;
  if (proposed.apiVersion !== '0.0.1' || typeof content?.envelope !== 'string' || !Array.isArray(content.verifiers)) {
    throw new Error('dsse v0.0.1: proposedContent.envelope (a string) and verifiers are required');
  }
  const envelope = JSON.parse(content.envelope);
  const payload = Buffer.from(envelope.payload, 'base64');
  const data = pae(envelope.payloadType, payload);
  const verifiers = content.verifiers.map((v) => Buffer.from(v, 'base64').toString());
  const signatures = envelope.signatures.map(({ sig }) => {
    const verifier = verifiers.find((pem) => verifies(publicKeyOf(pem), data, Buffer.from(sig, 'base64')));
    if (!verifier) throw new Error('all signatures must have a key that verifies it');
    return { signature: sig, verifier: Buffer.from(verifier).toString('base64') };
  }).sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(content.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(payload) },
      signatures,
    },
  };
}
const keyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const b64 = (buf) => Buffer.from(buf).toString('base64');
const VALID = { start: '2000-01-01T00:00:00Z' };

(async () => {
  const ctLog = await initializeCTLog(keyPair());
  const ca = await initializeCA(keyPair(), ctLog);
  let handlers = [];
  const server = http.createServer((req, res) => {
    // GitHub Actions' OIDC token endpoint, as ACTIONS_ID_TOKEN_REQUEST_URL
    // serves it: bearer-authenticated, audience in the query.
    if (req.method === 'GET' && req.url.startsWith('/actions-token')) {
      const audience = new URL(req.url, 'http://x').searchParams.get('audience');
      if (req.headers.authorization !== 'bearer request-token' || audience !== 'sigstore') {
        res.writeHead(401);
        res.end('unauthorized');
        return;
      }
      const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const claims = { iss: 'https://token.actions.githubusercontent.com', aud: audience, sub: 'repo:tollgate-dev/tollgate:ref:refs/heads/main',
        job_workflow_ref: 'tollgate-dev/tollgate/.github/workflows/release.yml@refs/heads/main' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: `${b64url({ alg: 'none' })}.${b64url(claims)}.sig` }));
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const handler = handlers.find((h) => req.method === 'POST' && req.url === h.path);
      if (!handler) {
        res.writeHead(404);
        res.end('not found');
        return;
      }
      let body = Buffer.concat(chunks).toString();
      if (req.url === '/api/v1/log/entries') {
        try {
          const proposed = JSON.parse(body);
          if (proposed.kind === 'dsse') body = JSON.stringify(rekorDsse(proposed));
        } catch (e) {
          res.writeHead(400);
          res.end(String(e.message || e));
          return;
        }
      }
      const result = await handler.fn(body);
      res.writeHead(result.statusCode, { 'content-type': result.contentType || 'text/plain' });
      res.end(result.response);
    });
  });
  server.listen(0, '127.0.0.1', async () => {
    const url = `http://127.0.0.1:${server.address().port}`;
    const tlog = await initializeTLog(url, keyPair());
    handlers = [fulcioHandler(ca), rekorHandler(tlog)];
    const trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: VALID },
        logId: { keyId: b64(crypto.createHash('sha256').update(tlog.publicKey).digest()) },
      }],
      certificateAuthorities: [{
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: VALID,
      }],
      ctlogs: [{
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctLog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: VALID },
        logId: { keyId: b64(ctLog.logID) },
      }],
      timestampAuthorities: [],
    };
    fs.writeFileSync(rootPath, JSON.stringify(trustedRoot, null, 2));
    console.log(JSON.stringify({ url }));
  });
})().catch((e) => { console.error(e); process.exit(1); });
