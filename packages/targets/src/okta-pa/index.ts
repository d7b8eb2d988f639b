/**
 * okta-pa: Okta Privileged Access workload authentication. OPA documents no HTTP API for it, only its
 * client CLI ("You must use the Okta Privileged Access client CLI for … workload authentication",
 * seed 000), so this target drives `sft workload authenticate` through the injected exec function,
 * with the platform token in the child's environment (`--jwt-env`), never in argv. The OPA token is
 * exported as OPA_TOKEN with the team and connection, ready for `sft ssh … --workload-role …`.
 */
import {
  type Credentials,
  type CredentialValue,
  FederateError,
  type Target,
  jwtExpiry,
} from '@federate/core';
import { type OktaPaOptions, parse } from './options.js';
import { authenticateCommand } from './request.js';
import { parseSftResult, TARGET } from './response.js';

export {
  DEFAULT_ENV_NAME as OKTA_PA_DEFAULT_ENV_NAME,
  type OktaPaOptions,
  parse as parseOktaPaOptions,
} from './options.js';

/** OKTA_PA_NOTES are the documented limitations (seed 000) every successful run repeats. */
export const OKTA_PA_NOTES = [
  'the Okta Privileged Access token is not refreshable: when it expires, run Federate again to re-authenticate with a new platform token',
  'a single OPA token cannot be revoked; deactivating the workload connection only stops new tokens',
  'policies with interactive constraints (MFA, access requests, resource checkouts) cancel workload requests; sft ssh uses a wl_-prefixed account derived from the workload role',
] as const;

/** oktaPaTarget runs the OPA client to trade the platform token for an OPA token. */
export const oktaPaTarget: Target<OktaPaOptions> = {
  name: 'okta-pa',
  title: 'Okta Privileged Access',
  // Workload connections test iss/sub/aud plus provider claims with Equals / Starts with / Exists.
  relevantClaims: [
    'iss',
    'sub',
    'aud',
    'repository',
    'repository_owner',
    'ref',
    'environment',
    'job_workflow_ref',
    'project_path',
    'namespace_path',
    'ref_type',
    'oidc.circleci.com/project-id',
    'email',
  ],
  parse,
  // No universal default: the workload connection's required claims decide the audience, so the core
  // reports `audience` as required (or uses the platform's own default, CircleCI's org id).
  audience: () => '',
  describe: (o) =>
    `Okta Privileged Access team ${o.team}${o.address ? ` at ${o.address.host}` : ''}, connection ${o.connection}${o.roleHint ? `, role ${o.roleHint}` : ''} (exported as ${o.envName})`,

  async exchange(ctx, options) {
    if (!ctx.exec)
      throw new FederateError(
        'ERR_CONFIG_INVALID',
        'target okta-pa runs the Okta Privileged Access client (sft), but this entry point cannot run programs',
        { hint: 'use the federate CLI (federate exchange --target okta-pa …), which can run sft' },
      );
    const jwt = await ctx.token();
    const command = authenticateCommand(options, ctx.env, jwt);
    const call = {
      team: options.team,
      connection: options.connection,
      roleHint: options.roleHint,
      sftPath: options.sftPath,
    };
    ctx.log.debug(`running ${options.sftPath} ${command.args.join(' ')}`);
    const started = ctx.now();
    const result = await ctx.exec(command.file, command.args, {
      env: command.env,
      timeoutMs: command.timeoutMs,
    });
    const timedOut = ctx.now() - started >= command.timeoutMs;
    const token = parseSftResult(result, { ...call, timedOut }, (s) => ctx.secrets.add(s));
    ctx.log.info(
      `Okta Privileged Access issued a token for team ${options.team}, connection ${options.connection}`,
    );
    const values: CredentialValue[] = [
      { name: 'token', value: token, secret: true, env: options.envName, output: 'opa-token' },
      { name: 'team', value: options.team, secret: false, env: 'OPA_TEAM', output: 'opa-team' },
      // SFT_TEAM is the variable the OPA documentation exports, so later sft commands need no --team.
      { name: 'sftTeam', value: options.team, secret: false, env: 'SFT_TEAM' },
      {
        name: 'connection',
        value: options.connection,
        secret: false,
        env: 'OPA_CONNECTION',
        output: 'opa-connection',
      },
    ];
    const address = command.env['OPA_ADDR'];
    if (options.address && address)
      values.push({ name: 'address', value: address, secret: false, env: 'OPA_ADDR' });
    if (options.roleHint)
      values.push({
        name: 'role',
        value: options.roleHint,
        secret: false,
        env: 'OPA_WORKLOAD_ROLE',
        output: 'opa-workload-role',
      });
    return {
      target: TARGET,
      principal: `${options.team}/${options.connection}${options.roleHint ? ` as ${options.roleHint}` : ''}`,
      expiresAt: jwtExpiry(token),
      values,
      files: [],
      revoke: [],
      notes: [...OKTA_PA_NOTES],
    } satisfies Credentials;
  },
};
