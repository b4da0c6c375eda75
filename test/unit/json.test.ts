import { parseJson, parseJsonObject } from '../../functions/shared/json';

describe('parsing JSON from outside', () => {
  it('says not-json for text that is not JSON, without throwing', () => {
    for (const text of ['', '{', 'nope', '{"a":1,}', '\u0000']) {
      expect(parseJson(text)).toEqual({ ok: false, problem: 'not-json' });
      expect(parseJsonObject(text)).toEqual({ ok: false, problem: 'not-json' });
    }
  });

  it('tells an object from other JSON values', () => {
    for (const text of ['null', '[]', '[{}]', '1', '"text"', 'true']) {
      expect(parseJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
      expect(parseJsonObject(text)).toEqual({ ok: false, problem: 'not-object' });
    }
    expect(parseJsonObject('{"events":[]}')).toEqual({ ok: true, value: { events: [] } });
  });
});
