// The one rule for text people type (domain/text.ts).
import assert from 'node:assert/strict';
import { optionalText, text, textProblem } from '../../server/domain/text.ts';

describe('text fields', () => {
  const refused: [string, string, RegExp][] = [
    ['a lone high surrogate', 'ab\ud800', /lone surrogate/],
    ['a lone low surrogate', '\udc00', /lone surrogate/],
    ['NUL', 'a\u0000b', /control/],
    ['a tab', 'a\tb', /control/],
    ['DEL and a C1 control', 'a\u007f\u0085', /control/],
    ['a line separator', 'a\u2028b', /control/],
    ['RLO', 'abc\u202efdp.exe', /bidirectional/],
    ['LRE … PDF', '\u202aabc\u202c', /bidirectional/],
    ['an isolate', '\u2067abc\u2069', /bidirectional/],
    ['zero-width characters only', '\u200b\u200c\u200d\u2060\ufeff', /visible/],
    ['a combining mark alone', '\u0301\u0308', /visible/],
    ['Hangul fillers', '\u3164\uffa0\u115f', /visible/],
    ['a blank Braille pattern and a soft hyphen', '\u2800\u00ad', /visible/],
    ['variation selectors', '\ufe0f\u{e0100}', /visible/],
  ];
  for (const [what, value, problem] of refused) {
    it(`refuses ${what}`, () => assert.match(textProblem(value) ?? '', problem));
  }

  const kept = ['杭州路7号停车场', 'Café', 'موقف سيارات', '👨‍👩‍👧 family', 'Yan\u2019an Rd', 'a\u200db', 'x'];
  for (const value of kept) it(`keeps ${JSON.stringify(value)}`, () => assert.equal(textProblem(value), undefined));

  it('normalizes to NFC and trims; refuses the empty string when required, makes it null when optional', () => {
    assert.equal(text(200).parse('  Cafe\u0301  '), 'Café');
    assert.equal(text(200).safeParse('   ').success, false);
    assert.equal(optionalText(200).parse('  '), null);
    assert.equal(optionalText(200).parse(null), null);
    assert.equal(optionalText(3).safeParse('abcd').success, false);
  });
});
