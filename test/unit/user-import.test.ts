import { csvHeader, groupRows, isReject, parseImportLine, splitCsvLine, type ImportRow } from '../../functions/domain/user-import';

const rows = (lines: string[], header?: string[]) =>
  lines.map((line, index) => parseImportLine(header ? 'csv' : 'jsonl', line, index + 1, header)).filter((row) => row !== undefined);

describe('user import parsing', () => {
  it('splits CSV lines with quoted commas and doubled quotes', () => {
    expect(splitCsvLine('a,"b, c","d ""e"""')).toEqual(['a', 'b, c', 'd "e"']);
    expect(splitCsvLine('"open')).toBeUndefined();
  });

  it('refuses a CSV header that names no known column', () => {
    expect(() => csvHeader('name,email')).toThrow(/braze_id, external_id/);
  });

  it('reads a CSV row into identifiers', () => {
    const header = csvHeader('external_id,alias_label,alias_name,device_id');

    const [row] = rows(['customer-1,email,ada@example.com,dev-1'], header);

    expect(row).toEqual({ line: 1, externalId: 'customer-1', aliases: [{ label: 'email', name: 'ada@example.com' }], deviceIds: ['dev-1'] });
  });

  it.each([
    ['{"external_id":42}', 'external_id must be a string'],
    ['not json', 'JSON'],
    ['{"alias_label":"email"}', 'alias_label and alias_name go together'],
    ['{"device_id":"d"}', 'needs an external_id, an alias or a braze_id'],
  ])('rejects %s with a reason', (line, reason) => {
    const [row] = rows([line]);

    expect(row && isReject(row) ? row.reason : '').toContain(reason);
  });
});

describe('user import grouping', () => {
  const group = (lines: string[], owners = new Map<string, string>()) =>
    groupRows('ws1', rows(lines).filter((row): row is ImportRow => !isReject(row)), () => '', owners);

  it('combines rows of one user met through its external_id', () => {
    const { records, rejects } = group(['{"external_id":"c1","alias_label":"email","alias_name":"a@x"}', '{"external_id":"c1","device_id":"d1"}']);

    expect(rejects).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ externalId: 'c1', aliases: { email: 'a@x' }, deviceIds: ['d1'] });
    expect(records[0]?.brazeId).toMatch(/^[0-9a-f]{24}$/);
  });

  it('rejects a second alias of the same label for one user and an alias another user has', () => {
    const { records, rejects } = group([
      '{"external_id":"c1","alias_label":"email","alias_name":"a@x"}',
      '{"external_id":"c1","alias_label":"email","alias_name":"b@x"}',
      '{"external_id":"c2","alias_label":"email","alias_name":"a@x"}',
    ]);

    expect(records).toHaveLength(1);
    expect(rejects.map((reject) => reject.line)).toEqual([2, 3]);
  });

  it('attaches a row to the profile that already holds its external_id', () => {
    const { records } = group(['{"external_id":"c1","device_id":"d9"}'], new Map([['ext#c1', 'existing-profile']]));

    expect(records[0]?.brazeId).toBe('existing-profile');
  });
});

describe('user import: DynamoDB key byte budgets per row', () => {
  it.each([
    ['braze_id', { braze_id: `${'😀'.repeat(255)}漢` }, 'braze_id is longer than 1022 bytes'],
    ['external_id', { external_id: '#'.repeat(341) }, 'external_id is longer than 1020 bytes'],
    ['an alias', { alias_label: 'crm', alias_name: '漢'.repeat(339) }, 'alias_label and alias_name are longer than 1017 bytes'],
    ['a device id', { external_id: 'e', device_ids: ['ok', '漢'.repeat(341)] }, 'device_id is longer than 1020 bytes'],
  ])('rejects a row whose %s is over its key budget, with the reason', (_what, fields, reason) => {
    const row = parseImportLine('jsonl', JSON.stringify(fields), 7);

    expect(row).toMatchObject({ line: 7, reason: expect.stringContaining(reason) });
  });

  it('keeps a row whose values are exactly at their budgets', () => {
    const fields = { braze_id: `${'😀'.repeat(255)}é`, external_id: '#'.repeat(340), alias_label: 'crm', alias_name: '漢'.repeat(338), device_id: '漢'.repeat(340) };

    const row = parseImportLine('jsonl', JSON.stringify(fields), 1);

    expect(row).toMatchObject({ brazeId: fields.braze_id, externalId: fields.external_id, aliases: [{ label: 'crm', name: fields.alias_name }], deviceIds: [fields.device_id] });
  });
});
