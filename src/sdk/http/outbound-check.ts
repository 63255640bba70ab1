import { urlProblem } from '../../net/outbound-guard';

/**
 * The `checkOptions` rule every outbound connector shares: its URL must pass the SSRF guard
 * unless its host is listed in `allowHosts`. Returns the problems in checkOptions' shape.
 */
export function outboundUrlCheck(
  url: string | undefined,
  allowHosts: readonly string[] | undefined,
  pointer: string,
  what: string,
): Array<{ pointer: string; message: string; hint: string }> {
  if (url === undefined) return [];
  const problem = urlProblem(
    url,
    (allowHosts ?? []).map((h) => h.toLowerCase()),
  );
  return problem
    ? [{ pointer, message: `outbound URL refused: ${problem}`, hint: `list the host under "allowHosts" if it really is ${what}` }]
    : [];
}
