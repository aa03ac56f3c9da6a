/**
 * Renders Block Kit as readable plain text, roughly as Slack would show it, for the offline demo:
 * date tokens become their fallback, escapes are undone, buttons show as [labels].
 */

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** mrkdwn → plain text: `<!date^…|fallback>` → fallback, `<@U1>` → @U1, `<url|label>` → label, entities undone. */
export function mrkdwnToText(text: string): string {
  return text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(?:\|[^>]*)?>/g, '#$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function textOf(value: unknown): string {
  return isRecord(value) && typeof value.text === 'string' ? mrkdwnToText(value.text) : '';
}

function elementText(element: unknown): string {
  if (!isRecord(element)) return '';
  switch (element.type) {
    case 'button':
      return `[${textOf(element.text)}]`;
    case 'static_select':
    case 'external_select':
      return `[▾ ${textOf(element.placeholder)}${Array.isArray(element.options) ? ` (${element.options.length} options)` : ' (type to search)'}]`;
    case 'mrkdwn':
    case 'plain_text':
      return textOf(element);
    default:
      return `[${String(element.type)}]`;
  }
}

export function blocksToText(blocks: unknown): string {
  if (!Array.isArray(blocks)) return '';
  const lines: string[] = [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    switch (block.type) {
      case 'header':
        lines.push(`# ${textOf(block.text)}`);
        break;
      case 'section': {
        lines.push(textOf(block.text));
        if (isRecord(block.accessory)) lines.push(`  ${elementText(block.accessory)}`);
        break;
      }
      case 'context':
        lines.push(`  ${(Array.isArray(block.elements) ? block.elements : []).map(elementText).join(' ')}`);
        break;
      case 'divider':
        lines.push('────────');
        break;
      case 'actions':
        lines.push((Array.isArray(block.elements) ? block.elements : []).map(elementText).join(' '));
        break;
      default:
        lines.push(`[${String(block.type)} block]`);
    }
  }
  return lines.join('\n');
}
