import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJwt } from '../verify.js';
import { type GceMetadata, startGceMetadata } from './gce-metadata.js';

const H = { 'Metadata-Flavor': 'Google' };

describe('startGceMetadata', () => {
  let md: GceMetadata;
  beforeAll(async () => {
    md = await startGceMetadata({
      serviceAccountEmail: 'builder@proj.iam.gserviceaccount.com',
      projectId: 'proj',
    });
  });
  afterAll(() => md.close());

  const identityUrl = (aud: string, format?: string) =>
    `http://${md.host}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(aud)}${format ? `&format=${format}` : ''}`;

  it('requires Metadata-Flavor: Google', async () => {
    const res = await fetch(identityUrl('x'));
    expect(res.status).toBe(403);
    expect(res.headers.get('metadata-flavor')).toBe('Google');
    expect((await fetch(identityUrl('x'), { headers: { ...H, 'X-Forwarded-For': '1.2.3.4' } })).status).toBe(
      403,
    );
  });

  it('returns a raw Google-style ID token; format=full adds email', async () => {
    const res = await fetch(identityUrl('https://sts.example', 'full'), { headers: H });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('metadata-flavor')).toBe('Google');
    const token = await res.text();
    const trusted = [{ issuer: 'https://accounts.google.com', jwksUri: md.jwksUri }];
    const result = await verifyJwt(token, { trusted, audience: 'https://sts.example' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.claims).toMatchObject({
      iss: 'https://accounts.google.com',
      azp: md.serviceAccountId,
      sub: md.serviceAccountId,
      email: 'builder@proj.iam.gserviceaccount.com',
      email_verified: true,
    });
    expect(result.claims.sub).toMatch(/^\d{21}$/);

    const standard = await (await fetch(identityUrl('a'), { headers: H })).text();
    const std = await verifyJwt(standard, { trusted });
    expect(std.ok && std.claims).not.toHaveProperty('email');
    expect((await fetch(identityUrl(''), { headers: H })).status).toBe(400);
  });

  it('serves email, project id and an access token', async () => {
    const base = `http://${md.host}/computeMetadata/v1`;
    expect(
      await (await fetch(`${base}/instance/service-accounts/default/email`, { headers: H })).text(),
    ).toBe('builder@proj.iam.gserviceaccount.com');
    expect(await (await fetch(`${base}/project/project-id`, { headers: H })).text()).toBe('proj');
    const token = (await (
      await fetch(`${base}/instance/service-accounts/default/token`, { headers: H })
    ).json()) as {
      token_type: string;
    };
    expect(token.token_type).toBe('Bearer');
  });

  it('env points gcp clients at the emulator', () => {
    expect(md.env()).toMatchObject({ GCE_METADATA_HOST: md.host, PROJECT_ID: 'proj', BUILD_ID: md.buildId });
  });

  it('gce platform adds google.compute_engine with format=full', async () => {
    const gce = await startGceMetadata({ platform: 'gce', projectId: 'p2' });
    try {
      const token = await gce.mintIdentity('a', 'full');
      const result = await verifyJwt(token, {
        trusted: [{ issuer: 'https://accounts.google.com', jwksUri: gce.jwksUri }],
      });
      expect(result.ok && result.claims['google']).toMatchObject({ compute_engine: { project_id: 'p2' } });
    } finally {
      await gce.close();
    }
  });

  it('the Cloud Build default service account cannot get ID tokens (404)', async () => {
    const dflt = await startGceMetadata({ defaultServiceAccount: true, projectNumber: '42' });
    try {
      const base = `http://${dflt.host}/computeMetadata/v1/instance/service-accounts/default`;
      expect((await fetch(`${base}/identity?audience=a`, { headers: H })).status).toBe(404);
      expect(await (await fetch(`${base}/email`, { headers: H })).text()).toBe(
        '42@cloudbuild.gserviceaccount.com',
      );
    } finally {
      await dflt.close();
    }
  });
});
