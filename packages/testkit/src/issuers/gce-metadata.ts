import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { sendJson, sendText } from '../http-server.js';
import { type Issuer, type IssuerOptions, startIssuer } from './issuer.js';

/** GceMetadataOptions configures startGceMetadata. */
export interface GceMetadataOptions extends IssuerOptions {
  /** serviceAccountEmail is the build's user-specified service account. */
  serviceAccountEmail?: string;
  /** serviceAccountId is the SA's numeric unique ID (`sub` and `azp`). */
  serviceAccountId?: string;
  /**
   * defaultServiceAccount models a build running as Cloud Build's default service account, for which
   * "Cloud Build does not support ID token generation": identity requests get 404 (see below).
   */
  defaultServiceAccount?: boolean;
  projectId?: string;
  projectNumber?: string;
  /** platform picks what `format=full` adds: `gce` adds `google.compute_engine`; default `cloud-build`. */
  platform?: 'cloud-build' | 'gce';
  buildId?: string;
  location?: string;
}

/** GceMetadata is a metadata-server emulator whose ID tokens come from a Google-like issuer. */
export interface GceMetadata extends Issuer {
  serviceAccountEmail: string;
  serviceAccountId: string;
  projectId: string;
  projectNumber: string;
  buildId: string;
  /** host is `127.0.0.1:<port>`, the GCE_METADATA_HOST value. */
  host: string;
  mintIdentity(audience: string, format?: 'standard' | 'full'): Promise<string>;
  /** env is what a Cloud Build step sees (with automapped built-in substitutions) plus GCE_METADATA_HOST. */
  env(): Record<string, string>;
}

const METADATA_PREFIX = '/computeMetadata/v1';
const SA_PREFIX = `${METADATA_PREFIX}/instance/service-accounts/`;

/**
 * startGceMetadata emulates the metadata server a Cloud Build step (or GCE VM) talks to. Tokens carry
 * `iss https://accounts.google.com` by default; verify them with
 * `{ issuer: 'https://accounts.google.com', jwksUri: md.jwksUri }` since the real discovery is remote.
 *
 * Default-SA choice: the docs say ID tokens are unsupported for Cloud Build's default service account
 * without naming the response; builds reported the metadata server answering the identity path with
 * 404 ("not defined" in Go clients, GoogleCloudPlatform/cloud-builders#80, grafeas/voucher#51), so the
 * emulator answers 404 text/plain there while email and token paths keep working.
 */
export async function startGceMetadata(opts: GceMetadataOptions = {}): Promise<GceMetadata> {
  const projectId = opts.projectId ?? 'my-project';
  const projectNumber = opts.projectNumber ?? '123456789012';
  const email =
    opts.serviceAccountEmail ??
    (opts.defaultServiceAccount
      ? `${projectNumber}@cloudbuild.gserviceaccount.com`
      : `deployer@${projectId}.iam.gserviceaccount.com`);
  // Service-account unique IDs are 21-digit numbers.
  const saId = opts.serviceAccountId ?? `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`;
  const buildId = opts.buildId ?? randomUUID();
  const platform = opts.platform ?? 'cloud-build';
  let md: GceMetadata | undefined;

  const base = await startIssuer({
    issuer: 'https://accounts.google.com',
    jwksPath: '/oauth2/v3/certs',
    lifetimeSec: 3600,
    ...opts,
    routes: async (req, res, issuer) => {
      if (opts.routes && (await opts.routes(req, res, issuer))) return true;
      if (!req.path.startsWith(METADATA_PREFIX) && req.path !== '/') return false;
      const flavor = { 'metadata-flavor': 'Google' };
      // The real server refuses proxied requests and requests without the flavor header.
      if (req.header('x-forwarded-for') !== undefined) {
        sendText(res, 403, 'Forbidden: X-Forwarded-For header is not allowed\n', flavor);
        return true;
      }
      if (req.path !== '/' && req.header('metadata-flavor')?.toLowerCase() !== 'google') {
        sendText(res, 403, 'Missing required header "Metadata-Flavor": "Google"\n', flavor);
        return true;
      }
      if (req.method !== 'GET') {
        sendText(res, 405, 'Method not allowed\n', flavor);
        return true;
      }
      const p = req.path.replace(/\/+$/, '');
      if (p === '' || p === METADATA_PREFIX || p === `${METADATA_PREFIX}/instance`) {
        sendText(res, 200, p === '' ? 'computeMetadata/\n' : 'instance/\nproject/\n', flavor);
        return true;
      }
      if (p === `${METADATA_PREFIX}/project/project-id`) {
        sendText(res, 200, projectId, flavor);
        return true;
      }
      if (p === `${METADATA_PREFIX}/project/numeric-project-id`) {
        sendText(res, 200, projectNumber, flavor);
        return true;
      }
      if (p === `${METADATA_PREFIX}/instance/service-accounts`) {
        sendText(res, 200, `${email}/\ndefault/\n`, flavor);
        return true;
      }
      if (p.startsWith(SA_PREFIX)) {
        const [account, leaf, ...more] = p.slice(SA_PREFIX.length).split('/');
        if ((account !== 'default' && account !== email) || more.length > 0) {
          sendText(res, 404, 'Not Found\n', flavor);
          return true;
        }
        if (leaf === 'email') {
          sendText(res, 200, email, flavor);
          return true;
        }
        if (leaf === 'token') {
          sendJson(
            res,
            200,
            {
              access_token: `ya29.testkit-${randomBytes(24).toString('base64url')}`,
              expires_in: 3599,
              token_type: 'Bearer',
            },
            flavor,
          );
          return true;
        }
        if (leaf === 'identity') {
          if (opts.defaultServiceAccount) {
            sendText(res, 404, 'Not Found\n', flavor);
            return true;
          }
          const audience = req.query.get('audience');
          if (!audience) {
            sendText(res, 400, 'non-empty audience parameter required\n', flavor);
            return true;
          }
          const format = req.query.get('format') === 'full' ? 'full' : 'standard';
          sendText(res, 200, await md!.mintIdentity(audience, format), flavor);
          return true;
        }
      }
      sendText(res, 404, 'Not Found\n', flavor);
      return true;
    },
  });

  const host = `127.0.0.1:${base.server.port}`;
  const issuer: GceMetadata = Object.assign(base, {
    serviceAccountEmail: email,
    serviceAccountId: saId,
    projectId,
    projectNumber,
    buildId,
    host,
    mintIdentity(audience: string, format: 'standard' | 'full' = 'standard') {
      const claims: Record<string, unknown> = { aud: audience, azp: saId, sub: saId };
      if (format === 'full') {
        claims['email'] = email;
        claims['email_verified'] = true;
        if (platform === 'gce') {
          claims['google'] = {
            compute_engine: {
              instance_creation_timestamp: Math.floor(base.clock.now() / 1000) - 3600,
              instance_id: '4589765432109876543',
              instance_name: 'builder-1',
              project_id: projectId,
              project_number: Number(projectNumber),
              zone: 'us-central1-a',
            },
          };
        }
      }
      return base.mint(claims);
    },
    env() {
      const location = opts.location ?? 'global';
      return {
        GCE_METADATA_HOST: host,
        GCE_METADATA_IP: host,
        BUILD_ID: buildId,
        PROJECT_ID: projectId,
        PROJECT_NUMBER: projectNumber,
        LOCATION: location,
        SERVICE_ACCOUNT_EMAIL: email,
        SERVICE_ACCOUNT: `projects/${projectId}/serviceAccounts/${email}`,
      };
    },
  });
  md = issuer;
  return issuer;
}
