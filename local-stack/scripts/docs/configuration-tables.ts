// Renders the variable tables of docs/configuration.md from the services' config schemas, so the page
// cannot drift from what the services accept. Each table sits between a begin marker naming its service
// and an end marker; everything else on the page is written by hand.

/** The part of an env-schema property this page shows. */
export interface VariableSchema {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
}

export interface ConfigSchema {
  readonly required?: readonly string[];
  readonly properties: Readonly<Record<string, VariableSchema>>;
}

export const endMarker = '<!-- end of generated table -->';

export function beginMarker(service: string): string {
  return `<!-- generated from the config schema of ${service} by \`npm run docs\`: do not edit -->`;
}

/** One Markdown table row per variable, in the schema's order. Throws naming a variable without description. */
export function renderConfigTable(schema: ConfigSchema): string {
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties).map(([name, property]) => {
    const description = property.description?.trim();
    if (!description) throw new Error(`config variable ${name} has no description in its schema`);
    const meaning = description.replaceAll('|', '\\|');
    return [code(name), defaultOf(property, required.has(name)), allowedValues(property), meaning];
  });
  return table(['variable', 'default', 'allowed', 'meaning'], rows);
}

/** The page with each service's table replaced by a fresh rendering; throws when a marker is missing. */
export function withConfigTables(page: string, schemas: Readonly<Record<string, ConfigSchema>>): string {
  let result = page;
  for (const [service, schema] of Object.entries(schemas)) {
    const begin = beginMarker(service);
    const start = result.indexOf(begin);
    const end = start < 0 ? -1 : result.indexOf(endMarker, start);
    if (start < 0 || end < 0) throw new Error(`docs/configuration.md has no generated table for ${service}`);
    result = `${result.slice(0, start)}${begin}\n\n${renderConfigTable(schema)}\n\n${result.slice(end)}`;
  }
  return result;
}

function defaultOf(property: VariableSchema, required: boolean): string {
  if (required) return 'required';
  return property.default === undefined ? 'unset' : code(String(property.default));
}

function allowedValues(property: VariableSchema): string {
  if (property.enum) return property.enum.map((value) => code(String(value))).join(', ');
  if (property.type === 'integer' || property.type === 'number') {
    const { minimum: min, maximum: max } = property;
    const range =
      min !== undefined && max !== undefined
        ? `${count(min)}–${count(max)}`
        : min !== undefined
          ? `≥ ${count(min)}`
          : max !== undefined
            ? `≤ ${count(max)}`
            : '';
    return [property.type, range].filter(Boolean).join(' ');
  }
  if (property.pattern) return code(property.pattern);
  if (property.minLength === 1) return 'non-empty string';
  return property.type ?? 'any';
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** Inline code that survives a table cell: a pipe would end the cell. */
function code(text: string): string {
  return `\`${text.replaceAll('|', '\\|')}\``;
}

function table(header: readonly string[], rows: readonly string[][]): string {
  const cells = (row: readonly string[]) => row.map((cell) => cell.replaceAll('\n', ' '));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  // The last column is not padded: its long descriptions would pad every row with blanks.
  const last = header.length - 1;
  const line = (row: readonly string[]) =>
    `| ${cells(row)
      .map((cell, column) => (column === last ? cell : cell.padEnd(widths[column] ?? 0)))
      .join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => '-'.repeat(column === last ? 3 : width)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
