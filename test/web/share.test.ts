// A lot's own link (web/src/share.ts): which lot a page's address opens, and the canonical link.
import assert from 'node:assert/strict';
import { linkedLotId, lotLink } from '../../web/src/share.ts';

const at = (url: string) => {
  const { pathname, search } = new URL(url, 'http://kongwei.example');
  return linkedLotId({ pathname, search });
};

describe('web: lot links', () => {
  it('opens the lot of /lots/{id} and of /?lot={id}, and none for the plain map', () => {
    assert.equal(at('/lots/nanfeng-rd'), 'nanfeng-rd');
    assert.equal(at('/lots/nanfeng-rd/'), 'nanfeng-rd');
    assert.equal(at('/lots/nanfeng-rd?lang=en'), 'nanfeng-rd');
    assert.equal(at('/?lot=nanfeng-rd&lang=en'), 'nanfeng-rd');
    assert.equal(at('/lots/%E5%8D%97%E4%B8%B0'), '南丰', 'decoded, to be looked up (and not found)');
    assert.equal(at('/lots/%E5'), '%E5', 'not decodable: as written');
    for (const url of ['/', '/?lang=zh', '/?lot=', '/?lot=%20', '/lots/', '/lots/a/b', '/operator']) assert.equal(at(url), undefined, url);
  });

  it('makes the canonical link /lots/{id} on the page’s origin', () => {
    assert.equal(lotLink('nanfeng-rd', 'https://kongwei.example'), 'https://kongwei.example/lots/nanfeng-rd');
    assert.equal(lotLink('a b', 'http://127.0.0.1:3000'), 'http://127.0.0.1:3000/lots/a%20b');
  });
});
