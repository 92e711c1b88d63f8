/**
 * Compiles an OpenAPI-style document's schemas with ajv (draft 2020-12), strictly: refs are
 * `#/components/schemas/<Name>`, so the document itself is the root every ref resolves against.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

let roots = 0;

export interface SchemaSet {
  /** the validator of a component; throws for an unknown name, an unknown keyword or a broken ref */
  component(name: string): ValidateFunction;
  /** the validator of the schema at `segments` inside the document (e.g. a response's schema) */
  at(...segments: string[]): ValidateFunction;
}

export function schemaSet(document: { components: { schemas: Record<string, unknown> }; paths?: unknown }): SchemaSet {
  // strictTypes off: `if`/`oneOf` branches name `properties` without repeating `type: object`
  const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: true });
  ajv.addKeyword('components');
  ajv.addKeyword('paths');
  const root = `urn:auctor:schemas:${roots++}`;
  ajv.addSchema({ $id: root, components: document.components, ...(document.paths ? { paths: document.paths } : {}) });
  const at = (...segments: string[]): ValidateFunction => {
    const pointer = segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
    const validate = ajv.getSchema(`${root}#/${pointer}`);
    if (!validate) throw new Error(`no schema at /${segments.join('/')}`);
    return validate;
  };
  return { component: (name) => at('components', 'schemas', name), at };
}

/** A validator for each model component (`MODEL_SCHEMAS`). */
export function componentValidators(schemas: Record<string, unknown>): (name: string) => ValidateFunction {
  const set = schemaSet({ components: { schemas } });
  return (name) => set.component(name);
}
