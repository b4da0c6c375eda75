import { abTastyUpdateFrom, readSecretOption } from '../../scripts/lib/abtasty-options';

describe('admin AB Tasty flags', () => {
  it('reads a secret given as a value, from stdin (-) or from a file (@path), dropping one trailing line break', async () => {
    const stdin = () => Promise.resolve('from-stdin\n');
    const files = (path: string) => (path === '/run/secret' ? 'from-file\r\n' : '');

    expect(await readSecretOption('plain-value', stdin, files)).toBe('plain-value');
    expect(await readSecretOption('-', stdin, files)).toBe('from-stdin');
    expect(await readSecretOption('@/run/secret', stdin, files)).toBe('from-file');
    expect(await readSecretOption('-', () => Promise.resolve('two\n\n'), files)).toBe('two\n');
  });

  it('turns the flags into the change the domain validates: segments all or a list, empty value clears, disable/enable', async () => {
    const secret = (raw: string) => Promise.resolve(`read:${raw}`);

    expect(await abTastyUpdateFrom({}, secret)).toBeUndefined();
    expect(
      await abTastyUpdateFrom(
        { 'abtasty-account': 'acc', 'abtasty-partner': 'p', 'abtasty-client-id': 'id', 'abtasty-client-secret': '-', 'abtasty-segments': ' 42, 7 ,', 'abtasty-value': 'vip' },
        secret,
      ),
    ).toEqual({ account: 'acc', partner: 'p', clientId: 'id', clientSecret: 'read:-', segments: ['42', '7'], value: 'vip' });
    expect(await abTastyUpdateFrom({ 'abtasty-segments': 'all', 'abtasty-value': '', 'abtasty-disable': true }, secret)).toEqual({ segments: 'all', value: null, enabled: false });
    expect(await abTastyUpdateFrom({ 'abtasty-enable': true }, secret)).toEqual({ enabled: true });
    await expect(abTastyUpdateFrom({ 'abtasty-enable': true, 'abtasty-disable': true }, secret)).rejects.toThrow('contradict');
  });
});
