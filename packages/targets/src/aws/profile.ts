/**
 * profile.ts: the shared credentials and config files for a named profile. The credentials file
 * names the profile bare (`[ci]`); the config file prefixes it (`[profile ci]`), except `default`.
 * https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html
 */
import type { CredentialFile } from '@federate/core';
import type { StsCredentials } from './response.js';

/** CREDENTIALS_FILE and CONFIG_FILE are the relative names inside the job's private directory. */
export const CREDENTIALS_FILE = 'aws/credentials';
export const CONFIG_FILE = 'aws/config';

/** credentialsFileContent renders the credentials file for one profile. */
export function credentialsFileContent(profile: string, creds: StsCredentials): string {
  return [
    `[${profile}]`,
    `aws_access_key_id = ${creds.accessKeyId}`,
    `aws_secret_access_key = ${creds.secretAccessKey}`,
    `aws_session_token = ${creds.sessionToken}`,
    '',
  ].join('\n');
}

/** configFileContent renders the config file for one profile. */
export function configFileContent(profile: string, region: string): string {
  const section = profile === 'default' ? '[default]' : `[profile ${profile}]`;
  return [section, `region = ${region}`, 'output = json', ''].join('\n');
}

/** profileFiles is the credentials + config pair; both mode 0600, the credentials file secret. */
export function profileFiles(profile: string, region: string, creds: StsCredentials): CredentialFile[] {
  return [
    {
      name: CREDENTIALS_FILE,
      content: credentialsFileContent(profile, creds),
      secret: true,
      mode: 0o600,
      env: ['AWS_SHARED_CREDENTIALS_FILE'],
      output: 'aws-credentials-file',
    },
    {
      name: CONFIG_FILE,
      content: configFileContent(profile, region),
      secret: false,
      mode: 0o600,
      env: ['AWS_CONFIG_FILE'],
      output: 'aws-config-file',
    },
  ];
}
