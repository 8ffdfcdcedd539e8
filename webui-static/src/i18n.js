// Strings in one file per language; t('key', {name}) fills in {name}.
import en from './strings/en.js';
import zh from './strings/zh.js';

const LANGUAGES = { en, zh };
let current = pickLanguage();

function pickLanguage() {
  try {
    const saved = localStorage.getItem('ota-console-lang');
    if (saved && LANGUAGES[saved]) return saved;
  } catch {
    // storage disabled: fall through
  }
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES[lang]) return;
  current = lang;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  try {
    localStorage.setItem('ota-console-lang', lang);
  } catch {
    // not kept
  }
}

export function t(key, params) {
  let s = LANGUAGES[current][key];
  if (s === undefined) s = en[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}

export const LANGUAGE_NAMES = { en: 'English', zh: '中文' };
