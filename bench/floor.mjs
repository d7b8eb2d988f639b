// floor.mjs: the bare-Node floor. The same two requests a GitHub -> AWS exchange makes (the runner's
// ID-token endpoint, then STS AssumeRoleWithWebIdentity), with node:http and nothing else.
// CommonJS load of node:http: the cheapest way in (an ESM import builds a facade that loads undici).
const http = process.getBuiltinModule('node:http');

function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

const tokenUrl = new URL(process.env.ACTIONS_ID_TOKEN_REQUEST_URL);
tokenUrl.searchParams.set('audience', 'sts.amazonaws.com');
const tok = await request(tokenUrl, {
  headers: { authorization: `Bearer ${process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
});
const jwt = JSON.parse(tok.body).value;
const form = new URLSearchParams({
  Action: 'AssumeRoleWithWebIdentity',
  Version: '2011-06-15',
  RoleArn: process.env.ROLE_ARN,
  RoleSessionName: 'floor',
  WebIdentityToken: jwt,
}).toString();
const sts = await request(process.env.STS_URL, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: form,
});
if (sts.status !== 200 || !sts.body.includes('<AccessKeyId>')) process.exit(1);
