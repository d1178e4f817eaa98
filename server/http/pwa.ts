// What makes the drivers' map an installable app that opens offline: a web
// app manifest per language (/manifest.zh.webmanifest, /manifest.en.webmanifest;
// the page links the one of its language), the icons (/icons/…, drawn by
// icons.ts) and the service worker (/sw.js, bundled from web/src/sw.ts with
// the other scripts, served at the root so that its scope is the whole site).
import { Router } from 'express';
import { ICONS, iconPng } from './icons.ts';

export type ManifestLang = 'zh' | 'en';
export const MANIFEST_LANGS: readonly ManifestLang[] = ['zh', 'en'];
export const manifestPath = (lang: ManifestLang) => `/manifest.${lang}.webmanifest`;

const TEXTS: Record<ManifestLang, { lang: string; name: string; shortName: string; description: string }> = {
  zh: {
    lang: 'zh-CN',
    name: '空位 Kongwei — 市北区停车场实时空位',
    shortName: '空位',
    description: '市北区停车场的实时空位：找到有空位的停车场，导航前往。没有网络时显示上次的数据（灰色，注明时间），绝不当作实时数据。',
  },
  en: {
    lang: 'en',
    name: 'Kongwei 空位 — live free parking in Shibei',
    shortName: 'Kongwei',
    description: 'Live free spaces in Shibei District car parks: find one with room and get directions. Offline it shows what it last knew, greyed and dated, never as live.',
  },
};

/** The manifest for a language (W3C Web Application Manifest). */
export function webManifest(lang: ManifestLang): Record<string, unknown> {
  const text = TEXTS[lang];
  return {
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    lang: text.lang,
    dir: 'ltr',
    name: text.name,
    short_name: text.shortName,
    description: text.description,
    background_color: '#f7f7f5',
    theme_color: '#ffffff',
    categories: ['navigation', 'travel', 'utilities'],
    icons: Object.entries(ICONS)
      .filter(([name]) => name !== 'apple-touch-icon.png')
      .map(([name, { size, purpose }]) => ({ src: `/icons/${name}`, sizes: `${size}x${size}`, type: 'image/png', purpose })),
  };
}

export function pwaRouter(): Router {
  const router = Router();
  for (const lang of MANIFEST_LANGS) {
    const body = JSON.stringify(webManifest(lang));
    router.get(manifestPath(lang), (_req, res) => {
      res.type('application/manifest+json').set('Cache-Control', 'no-cache').send(body);
    });
  }
  router.get('/icons/:name', (req, res, next) => {
    const name = req.params.name;
    if (!Object.hasOwn(ICONS, name)) return next();
    res.type('image/png').set('Cache-Control', 'public, max-age=86400').send(iconPng(name as keyof typeof ICONS));
  });
  return router;
}
