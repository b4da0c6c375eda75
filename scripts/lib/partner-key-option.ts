/**
 * `--partner-key <partner>=<key>` of `workspace set`: split at the first `=` only, since a partner
 * key may itself contain `=` (base64 padding, for one). Undefined when either side is empty.
 */
export const parsePartnerKeyOption = (raw: string): { partner: string; key: string } | undefined => {
  const at = raw.indexOf('=');
  if (at <= 0 || at === raw.length - 1) return undefined;
  return { partner: raw.slice(0, at), key: raw.slice(at + 1) };
};
