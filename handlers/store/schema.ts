/** What the models declare: each collection's top-level fields (the data inventory is checked against it). */
import { ALL_MODELS } from '../../models';

/** Fields every collection has that say nothing about anyone. */
const ALWAYS_TECHNICAL = new Set(['_id', '__v']);

export function declaredFields(): Array<{ collection: string; fields: string[] }> {
  return ALL_MODELS.map((model) => {
    const fields = new Set<string>();
    model.schema.eachPath((path) => fields.add(path.split('.')[0]!));
    return { collection: model.collection.collectionName, fields: [...fields].filter((f) => !ALWAYS_TECHNICAL.has(f)) };
  });
}
