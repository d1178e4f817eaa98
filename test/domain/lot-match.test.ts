// Finding lots by what a driver types (server/domain/lot-match.ts): pure.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fold, matchKeys, matchRank, parseQuery } from '../../server/domain/lot-match.ts';
import { lotSearchQuerySchema } from '../../server/domain/search.ts';

const nanfeng = matchKeys({ name: '南丰路停车场', nameEn: 'Nanfeng Rd Car Park', address: '市北区南丰路' });
const hangzhou = matchKeys({ name: '杭州路7号停车场', nameEn: 'Hangzhou Rd No. 7 Car Park', address: '市北区杭州路7号' });
const zhushuishan = matchKeys({ name: '贮水山路14号立体停车场', nameEn: 'Zhushuishan Rd No. 14 Multi-storey Car Park', address: '市北区辽宁路街道贮水山路14号' });
const lvdao = matchKeys({ name: '绿岛停车场', nameEn: null, address: null });
const chongqing = matchKeys({ name: '重庆南路停车场', nameEn: null, address: null });

const rank = (keys: ReturnType<typeof matchKeys>, q: string) => matchRank(keys, parseQuery(q)!);

describe('domain: finding lots by name, pinyin and address', () => {
  it('finds a name by its pinyin initials, in full, mixed, and as far as typed', () => {
    for (const q of ['nfl', 'nanfenglu', 'nanfl', 'nfenglu', 'nanfe', 'n', 'nanfenglutingchechang', 'nfltcc']) {
      assert.notEqual(rank(nanfeng, q), undefined, q);
    }
    assert.equal(rank(nanfeng, 'nanfenglutingchechang'), 0, 'the whole name in full pinyin is exact');
    assert.equal(rank(nanfeng, 'nfl'), 1, 'initials from the start: a prefix');
    assert.equal(rank(nanfeng, 'fenglu'), 2, 'from a later syllable');
  });

  it('reads characters by their context (重庆 is chong qing), and takes ü typed as v or u', () => {
    assert.equal(rank(chongqing, 'cqnl'), 1);
    assert.equal(rank(chongqing, 'chongqing'), 1);
    assert.equal(rank(chongqing, 'zhongqing'), undefined);
    assert.equal(rank(lvdao, 'lvdao'), 1);
    assert.equal(rank(lvdao, 'ludao'), 1);
    assert.equal(rank(lvdao, 'lǜdǎo'), 1, 'tone marks typed are dropped');
  });

  it('finds a lot by its Chinese name, its English name (by words) and its address, in characters or pinyin', () => {
    assert.equal(rank(nanfeng, '南丰路停车场'), 0);
    assert.equal(rank(nanfeng, '南丰'), 1);
    assert.equal(rank(nanfeng, '停车场'), 3, 'inside the name');
    assert.equal(rank(nanfeng, 'Nanfeng Rd Car Park'), 0);
    assert.equal(rank(nanfeng, 'car park'), 2, 'from a word of the English name');
    assert.equal(rank(nanfeng, 'arpa'), 3, 'inside the English name');
    assert.equal(rank(zhushuishan, '辽宁路'), 4 + 3, 'only in the address');
    assert.equal(rank(zhushuishan, 'liaoning'), 4 + 2, 'the address in pinyin, from a syllable');
    assert.equal(rank(hangzhou, '7号'), 3);
  });

  it('folds what is typed: full-width letters and digits (NFKC), case, spaces and punctuation', () => {
    assert.equal(rank(nanfeng, 'ｎｆｌ'), 1);
    assert.equal(rank(nanfeng, 'NFL'), 1);
    assert.equal(rank(nanfeng, "nan'feng lu"), 1);
    assert.equal(rank(hangzhou, '杭州路７号'), 1);
    assert.equal(rank(hangzhou, 'hangzhou rd. no.7'), 1);
    assert.deepEqual(fold('  Ｎán-fēng  Rd.  '), { words: 'nan feng rd', compact: 'nanfengrd' });
  });

  it('matches the words of a query one by one when the whole does not match, half a step worse', () => {
    assert.equal(rank(nanfeng, 'nanfeng car'), 2.5);
    assert.equal(rank(nanfeng, '南丰 park'), 2.5);
    assert.equal(rank(nanfeng, 'nanfeng bus'), undefined, 'every word must match');
  });

  it('ranks exact before prefix before a word inside before inside, and names before addresses', () => {
    const kinds = [rank(nanfeng, '南丰路停车场'), rank(nanfeng, 'nfl'), rank(nanfeng, 'fenglu'), rank(nanfeng, '停车'), rank(nanfeng, '市北区南丰路')];
    assert.deepEqual(kinds, [0, 1, 2, 3, 4]);
  });

  it('finds nothing where nothing matches, and takes no query without a letter or digit', () => {
    for (const q of ['xyz', 'beijing', '北京', 'nfx', 'an'.repeat(30)]) assert.equal(rank(nanfeng, q), undefined, q);
    assert.equal(parseQuery('  ,.;  '), undefined);
    assert.equal(parseQuery(''), undefined);
  });

  it('stays bounded on a name made to make a matcher backtrack', () => {
    const hostile = matchKeys({ name: Array.from({ length: 40 }, () => '1111111111').join(' '), nameEn: null, address: null });
    assert.equal(matchRank(hostile, parseQuery(`${'1'.repeat(99)}2`)!), undefined);
    assert.equal(matchRank(hostile, parseQuery('1'.repeat(100))!), 1);
  });

  it('finds every name by its own full pinyin and its initials (property)', () => {
    const characters = [...'南丰路杭州瑞岛上海支聊城四机宿舍小区鞍山五街角邮轮港停车场市北辽宁道贮水立体'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...characters), { minLength: 1, maxLength: 12 }), (chars) => {
        const name = chars.join('');
        const keys = matchKeys({ name, nameEn: null, address: null });
        assert.equal(matchRank(keys, parseQuery(name)!), 0);
        assert.equal(matchRank(keys, parseQuery(keys.namePinyin.join(''))!), 0);
        assert.ok(matchRank(keys, parseQuery(keys.namePinyin.map((s) => s[0]).join(''))!)! <= 1);
      }),
      { numRuns: 200 },
    );
  });

  it('parses q in the search parameters, and refuses one without a letter or digit, or too long', () => {
    assert.deepEqual(lotSearchQuerySchema.parse({ q: 'nfl' }).match, parseQuery('nfl'));
    for (const q of ['', ' ', '…', 'a'.repeat(101)]) {
      const parsed = lotSearchQuerySchema.safeParse({ q });
      assert.equal(parsed.success, false, JSON.stringify(q));
      assert.deepEqual(parsed.error!.issues.map((i) => i.path[0]), ['q']);
    }
  });
});
