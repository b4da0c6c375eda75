import { parsePartnerKeyOption } from '../../scripts/lib/partner-key-option';

describe('admin --partner-key <partner>=<key>', () => {
  it('keeps every "=" of the key: only the first one separates the partner', () => {
    expect(parsePartnerKeyOption('segment=c2VjcmV0LWtleQ==')).toEqual({ partner: 'segment', key: 'c2VjcmV0LWtleQ==' });
    expect(parsePartnerKeyOption('heap=a=b=c')).toEqual({ partner: 'heap', key: 'a=b=c' });
  });

  it.each(['segment', '=key', 'segment=', ''])('refuses %j (no partner or no key)', (raw) => {
    expect(parsePartnerKeyOption(raw)).toBeUndefined();
  });
});
