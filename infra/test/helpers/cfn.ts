/** Small readers for synthesized CloudFormation JSON. */

export type Json = unknown;

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Json;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: Json;
  readonly NotResource?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
}

export function resourcesOf(template: { toJSON(): Json }, type?: string): [string, Resource][] {
  const resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  return Object.entries(resources).filter(([, r]) => type === undefined || r.Type === type);
}

export function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function statementsOf(document: Json): Statement[] {
  return list((document as { Statement?: Statement | Statement[] } | undefined)?.Statement);
}

/**
 * Renders intrinsic functions as readable strings, so two values built from the same tokens compare equal:
 * `{Ref: X}` → `${X}`, `{Fn::GetAtt: [A, B]}` → `${A.B}`, `Fn::Join` joined, `Fn::GetStackOutput` →
 * `${stack:output}`, `Fn::ImportValue` → `${import:name}`, `Fn::Sub` its template. Objects and arrays are
 * rendered member by member.
 */
export function render(value: Json): Json {
  if (Array.isArray(value)) return value.map(render);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, Json>;
  const keys = Object.keys(object);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const argument = object[key];
    if (key === 'Ref') return `\${${String(argument)}}`;
    if (key === 'Fn::GetAtt') return `\${${(argument as string[]).join('.')}}`;
    if (key === 'Fn::Join') {
      const [separator, parts] = argument as [string, Json[]];
      return parts.map((part) => String(render(part))).join(separator);
    }
    if (key === 'Fn::ImportValue') return `\${import:${String(render(argument))}}`;
    if (key === 'Fn::Sub' && typeof argument === 'string') return argument;
    if (key === 'Fn::GetStackOutput') {
      const { StackName, OutputName } = argument as { StackName: string; OutputName: string };
      return `\${${StackName}:${OutputName}}`;
    }
  }
  return Object.fromEntries(keys.map((key) => [key, render(object[key])]));
}

export function renderString(value: Json): string {
  const rendered = render(value);
  if (typeof rendered !== 'string') throw new Error(`Not a string: ${JSON.stringify(value)}`);
  return rendered;
}

/** A resource property that must be there. */
export function property<T>(resource: Resource | undefined, key: string): T {
  const value = resource?.Properties?.[key];
  if (value === undefined) throw new Error(`Missing property ${key}`);
  return value as T;
}

/** A Lambda function's environment variables. */
export function environmentOf(resource: Resource | undefined): Record<string, Json> {
  return property<{ Variables: Record<string, Json> }>(resource, 'Environment').Variables;
}
