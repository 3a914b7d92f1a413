const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escape text for HTML element content and quoted attribute values (single or double quotes).
 * Not for unquoted attributes, `<script>`/`<style>` bodies, or URLs (validate those instead).
 * null and undefined render as the empty string.
 */
export function escapeHtml(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
