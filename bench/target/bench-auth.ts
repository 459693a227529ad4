/**
 * The Authorization header the harness sends (access control, docs/access-control.md): the key
 * the target created for this run, or none when the service runs with AUTH_REQUIRED=false.
 */
export const benchAuth: { headers: Record<string, string> } = { headers: {} };

export function useBenchKey(key: string | undefined): void {
  benchAuth.headers = key ? { authorization: `Bearer ${key}` } : {};
}
