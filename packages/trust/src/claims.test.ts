import { detectTokenPlatform } from '@federate/core';
import { describe, expect, it } from 'vitest';
import { detectPlatform } from './claims.js';

// The same token must be named the same way by the exchange (core) and by doctor (trust).
const CASES: Array<[string, Record<string, unknown>, string]> = [
  [
    'github.com',
    { iss: 'https://token.actions.githubusercontent.com', sub: 'repo:a/b:ref:refs/heads/main' },
    'github',
  ],
  ['github.com, enterprise slug', { iss: 'https://token.actions.githubusercontent.com/acme' }, 'github'],
  ['GHES, issuer only', { iss: 'https://ghe.example.com/_services/token' }, 'github'],
  [
    'GitHub claim shape',
    { iss: 'https://proxy.example', repository: 'a/b', job_workflow_ref: 'a/b/.github/x@r' },
    'github',
  ],
  ['CircleCI issuer', { iss: 'https://oidc.circleci.com/org/1234' }, 'circleci'],
  ['CircleCI claims', { iss: 'https://proxy.example', 'oidc.circleci.com/project-id': 'p' }, 'circleci'],
  [
    'GitLab.com',
    { iss: 'https://gitlab.com', project_path: 'g/p', namespace_id: '1', pipeline_source: 'push' },
    'gitlab',
  ],
  [
    'self-managed GitLab without pipeline_source',
    { iss: 'https://git.example', project_path: 'g/p', namespace_id: '1' },
    'gitlab',
  ],
  ['Google', { iss: 'https://accounts.google.com' }, 'google'],
  ['unknown', { iss: 'https://example.com' }, 'unknown'],
];

describe('detectPlatform (trust) and detectTokenPlatform (core)', () => {
  it.each(CASES)('agree on %s', (_name, claims, expected) => {
    expect(detectPlatform(claims)).toBe(expected);
    expect(detectTokenPlatform(claims)).toBe(expected === 'google' ? 'cloudbuild' : expected);
  });
});
