import { TrawlError } from '../../errors/index.js';

/** Parses an integer option, naming the option and the value when it is not one in range. */
export function parseIntOption(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new TrawlError('TRAWL_E_BAD_OPTION', `invalid ${name} "${text}": expected a whole number from ${min} to ${max}`, { option: name, value: text });
  const n = Number(text);
  if (n < min || n > max) throw new TrawlError('TRAWL_E_BAD_OPTION', `invalid ${name} "${text}": must be from ${min} to ${max}`, { option: name, value: text });
  return n;
}
