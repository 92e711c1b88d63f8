/** JSON Schemas of the models (placeholder names; the full schemas are being written). */
type JsonSchema = Record<string, unknown>;

export const MODEL_SCHEMAS = {
  DesiredLRPRequest: { type: 'object' },
  DesiredLRP: { type: 'object' },
  DesiredLRPUpdate: { type: 'object' },
  ActualLRP: { type: 'object' },
  TaskRequest: { type: 'object' },
  Task: { type: 'object' },
  DomainRequest: { type: 'object' },
  Cell: { type: 'object' },
  Error: { type: 'object' },
} satisfies Record<string, JsonSchema>;
