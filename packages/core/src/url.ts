/**
 * url.ts: token endpoints are HTTPS. Plain HTTP is allowed only on loopback, where tests, emulators
 * and metadata servers live; anything else would send a bearer token in the clear.
 */

/** isLoopbackHost tells whether a URL host is this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** isMetadataHost tells whether the host is the GCE metadata server, which is plain HTTP by design. */
export function isMetadataHost(hostname: string): boolean {
  return hostname === 'metadata.google.internal' || hostname === '169.254.169.254';
}

/** checkSecureUrl parses `text` and returns an error string when it is not https (or loopback http). */
export function checkSecureUrl(text: string, opts: { allowMetadata?: boolean } = {}): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return url;
  if (
    url.protocol === 'http:' &&
    (isLoopbackHost(url.hostname) || (opts.allowMetadata && isMetadataHost(url.hostname)))
  )
    return url;
  return 'must use https:// (plain http:// is allowed only on loopback)';
}

/** joinUrl appends path segments to a base URL, keeping the base's path and encoding each segment. */
export function joinUrl(base: string | URL, ...segments: string[]): URL {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, '');
  const extra = segments
    .flatMap((s) => s.split('/'))
    .filter((s) => s.length > 0)
    .map((s) => encodeURIComponent(s))
    .join('/');
  url.pathname = extra ? `${path}/${extra}` : path || '/';
  return url;
}
