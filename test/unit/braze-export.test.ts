import { BRAZE_EXPORT_FIELDS, exportRequestBody, parseExportKey, parseExportLine } from '../../functions/domain/braze-export';
import { isReject } from '../../functions/domain/user-import';
import { brazeExportMessageSchema, s3ObjectCreatedEvent } from '../../functions/schemas/braze-export';

/** The "Sample output" user of Braze's "Export user profile by segment" page, fields trimmed to what matters plus a few others. */
const BRAZE_SAMPLE = {
  created_at: '2020-07-10 15:00:00.000 UTC',
  external_id: 'A8i3mkd99',
  user_aliases: [{ alias_name: 'user_123', alias_label: 'amplitude_id' }],
  braze_id: '5fbd99bac125ca40511f2cb1',
  random_bucket: 2365,
  first_name: 'Jane',
  custom_attributes: { loyaltyId: '37c98b9d-9a7f-4b2f-a125-d873c5152856' },
  devices: [{ model: 'Pixel XL', os: 'Android (Q)', carrier: null, device_id: '312ef2c1-83db-4789-967-554545a1bf7a', ad_tracking_enabled: true }],
  push_tokens: [{ app: 'MovieCanon', platform: 'Android', token: '12345abcd', device_id: '312ef2c1-83db-4789-967-554545a1bf7a' }],
};

describe('Braze export keys', () => {
  it("reads Braze's documented example key: segment, day, export id, start time in Unix seconds", () => {
    const key = 'segment-export/abc56c0c-rd4a-pb0a-870pdf4db07q/2019-04-25/d9696570-dfb7-45ae-baa2-25e302r2da27-1556044807/114f0226319130e1a4770f2602b5639a.zip';

    expect(parseExportKey(key)).toEqual({
      segmentId: 'abc56c0c-rd4a-pb0a-870pdf4db07q',
      day: '2019-04-25',
      exportId: 'd9696570-dfb7-45ae-baa2-25e302r2da27',
      startedAtMs: 1_556_044_807_000,
      compression: 'zip',
    });
    // Two days before the folder's day, as a request finished by callback later would be.
    expect(new Date(1_556_044_807_000).toISOString()).toBe('2019-04-23T18:40:07.000Z');
  });

  it('reads a gzip key and refuses other layouts', () => {
    expect(parseExportKey('segment-export/seg/2024-01-02/uuid-1-2-3-1704153600/f.gz')).toMatchObject({ segmentId: 'seg', exportId: 'uuid-1-2-3', compression: 'gzip' });
    for (const key of ['segment-export/seg/2024-01-02/f.zip', 'currents/x.avro', 'segment-export/seg/2024-01-02/uuid-1/f.csv', 'other/seg/2024-01-02/u-1/f.zip']) {
      expect(parseExportKey(key)).toBeUndefined();
    }
  });
});

describe('Braze export lines', () => {
  it("keeps a user's braze_id, external_id, aliases and device ids, and ignores every other field", () => {
    expect(parseExportLine(JSON.stringify(BRAZE_SAMPLE), 7)).toEqual({
      line: 7,
      brazeId: '5fbd99bac125ca40511f2cb1',
      externalId: 'A8i3mkd99',
      aliases: [{ label: 'amplitude_id', name: 'user_123' }],
      deviceIds: ['312ef2c1-83db-4789-967-554545a1bf7a'],
    });
  });

  it('reads an anonymous alias-only user (external_id absent or null) and an iOS device by idfv', () => {
    const row = parseExportLine('{"braze_id":"b1","external_id":null,"user_aliases":[{"alias_label":"crm","alias_name":"c-1"}],"devices":[{"idfv":"IDFV-1","os":"iOS"},{"model":"x"}]}', 1);

    expect(row).toEqual({ line: 1, brazeId: 'b1', aliases: [{ label: 'crm', name: 'c-1' }], deviceIds: ['IDFV-1'] });
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['[1]', 'must be an object'],
    ['{"external_id":"x"}', 'needs a braze_id'],
    ['{"braze_id":"b","user_aliases":{"alias_label":"a"}}', 'user_aliases must be an array'],
    ['{"braze_id":"b","user_aliases":[{"alias_label":"a"}]}', 'alias_label and alias_name go together'],
    ['{"braze_id":"b","user_aliases":[{"alias_label":"a","alias_name":"1"},{"alias_label":"a","alias_name":"2"}]}', 'one per label'],
    ['{"braze_id":"b","devices":[5]}', 'each devices entry must be an object'],
    ['{"braze_id":42}', 'braze_id must be a string'],
  ])('rejects %s with a reason', (line, reason) => {
    const row = parseExportLine(line, 3);

    expect(row && isReject(row) ? { line: row.line, reason: row.reason } : row).toEqual({ line: 3, reason: expect.stringContaining(reason) });
  });

  it('skips blank lines', () => {
    expect(parseExportLine('   ', 1)).toBeUndefined();
  });

  it('asks Braze for exactly the fields the directory mirrors', () => {
    expect(exportRequestBody('seg-1')).toEqual({ segment_id: 'seg-1', fields_to_export: ['braze_id', 'external_id', 'user_aliases', 'devices'] });
    expect(BRAZE_EXPORT_FIELDS).toHaveLength(4);
  });
});

describe('brazeExport queue messages', () => {
  it('reads an S3 ObjectCreated notification (URL-encoded key) into the object to apply', () => {
    const event = s3ObjectCreatedEvent('hub-imports', 'segment-export/seg 1/2024-01-02/u-1704153600/a+b.gz', 10, '2024-01-02T00:00:00Z', '0055AED6DCD90281E5');

    const message = brazeExportMessageSchema.parse(JSON.parse(JSON.stringify(event)));

    expect(message).toEqual({ kind: 's3', objects: [{ bucket: 'hub-imports', key: 'segment-export/seg 1/2024-01-02/u-1704153600/a+b.gz' }], dedupeKey: expect.stringContaining('0055AED6DCD90281E5') });
  });

  it("reads S3's test event and the hub's own download job", () => {
    expect(brazeExportMessageSchema.parse({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-01-01T00:00:00Z', Bucket: 'b', RequestId: 'R1', HostId: 'h' })).toEqual({ kind: 'test', dedupeKey: 's3-test#R1' });
    const job = { type: 'download', dedupeKey: 'd', workspaceId: 'ws', segmentId: 's', url: 'https://x', version: 1, attempt: 0 };
    expect(brazeExportMessageSchema.parse(job)).toEqual({ kind: 'download', ...job });
  });

  it('refuses anything else', () => {
    expect(brazeExportMessageSchema.safeParse({ Records: [{ s3: {} }] }).success).toBe(false);
    expect(brazeExportMessageSchema.safeParse({ type: 'download' }).success).toBe(false);
  });
});
