// axe-core (the accessibility engine) in a page: injected from node_modules
// (no CDN), run on the whole document, answering the violations a person
// using a screen reader or a keyboard would hit (impact serious or critical).
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * What a browser context for axe needs: addScriptTag injects axe as an inline
 * script, which the pages' Content-Security-Policy refuses, so the context
 * bypasses it (the CSP itself is checked by the other browser tests).
 */
export const AXE_CONTEXT = { bypassCSP: true } as const;

/**
 * The serious and critical violations on the page as it is now (axe's default rules: WCAG 2.x A
 * and AA, and its best practices). AXE_ALL=1 in the environment answers the moderate and minor
 * ones too, to see what is left (the tests then fail on them: for looking, not for CI).
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`.trim()),
    }));
  });
  return process.env.AXE_ALL ? violations : violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A readable list of violations, for an assertion's message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).join('\n    ')}`).join('\n');
}
