// The URL of an incoming request's target, read as a path on this server. `new URL(req.url, base)`
// reads a target that starts with `//` as another host (`//x/admin/info` has the path `/info`) and
// throws on one such as `//%`, which turned into a 500; here such a target is a path like any other.

/** The target as a URL on this server; null when it is not a valid request target at all. */
export function requestTargetUrl(target: string): URL | null {
  try {
    return new URL(target.startsWith('/') ? `http://server.invalid${target}` : target, 'http://server.invalid');
  } catch {
    return null;
  }
}
