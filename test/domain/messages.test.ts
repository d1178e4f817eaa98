// Messages in the caller's language (DESIGN.md §4, "Languages"): the
// Accept-Language a client sends picks English or Chinese, and a refused
// input's field errors exist in both, Chinese written for people.
import assert from 'node:assert/strict';
import { validationError } from '../../server/domain/errors.ts';
import { checkLotCreate } from '../../server/domain/lot-input.ts';
import { localeOf } from '../../server/domain/messages.ts';
import { lotSearchQuerySchema } from '../../server/domain/search.ts';

describe('domain: messages in the caller\'s language', () => {
  it('picks the language by Accept-Language preference; English without one, or for a language it does not speak', () => {
    assert.equal(localeOf(undefined), 'en');
    assert.equal(localeOf('*'), 'en');
    assert.equal(localeOf('zh-CN,zh;q=0.9,en;q=0.8'), 'zh');
    assert.equal(localeOf('zh-Hans-CN'), 'zh');
    assert.equal(localeOf('en-GB,zh;q=0.5'), 'en');
    assert.equal(localeOf('de-DE,zh;q=0.5'), 'zh', 'the first language it speaks');
    assert.equal(localeOf('en;q=0.2, ZH;q=0.9'), 'zh', 'by q, not by order');
    assert.equal(localeOf('zh;q=0, fr'), 'en', 'q=0 means "not this one"');
  });

  it('gives every field error of a bad lot in Chinese too, with no English left', () => {
    const checked = checkLotCreate({ name: '', lat: 'north', lon: 200, type: 'garage', capacity: 2, staleAfterS: 1.5, capacityCharging: 4, openingHours: 'sometimes', colour: 'red' });
    assert.equal(checked.ok, false);
    const error = validationError('lot', checked.ok ? {} : checked.fields);
    const zh = error.in('zh') as { message: string; details: { fields: Record<string, string[]> } };
    assert.deepEqual(zh.details.fields, {
      name: ['不能为空'],
      lat: ['应为数字'],
      lon: ['不能大于 180'],
      type: ['应为以下之一：surface、multi_storey、underground、on_street'],
      status: ['必填，可选：planned、under_construction、open、closed'],
      staleAfterS: ['应为整数'],
      openingHours: [zh.details.fields.openingHours![0]!],
      colour: ['不是停车场的字段'],
      capacityCharging: ['不能超过总车位数（2）'],
    });
    assert.match(zh.details.fields.openingHours![0]!, /^不是有效的 OpenStreetMap opening_hours 格式，错误在“.+”处/);
    assert.match(zh.message, /^停车场无效：name：不能为空；lat：应为数字；/);
    const en = error.in('en') as { message: string; details: { fields: Record<string, string[]> } };
    assert.deepEqual(en.details.fields.colour, ['is not a field of a lot']);
    assert.match(en.message, /^invalid lot: name: must not be empty/);
  });

  it('says the schemas\' own messages in Chinese (the search query)', () => {
    const parsed = lotSearchQuerySchema.safeParse({ near: '36.09', radius: '10', features: 'ev,pool' });
    assert.equal(parsed.success, false);
    const zh = validationError('query', parsed.error!).in('zh') as { details: { fields: Record<string, string[]> } };
    assert.deepEqual(zh.details.fields, { near: ['应为两个数字：纬度,经度'], features: ['应为 ev、disabled、family、women 中的一个或多个，以英文逗号分隔'] });
  });
});
