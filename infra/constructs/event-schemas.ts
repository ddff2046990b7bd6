import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { eventJsonSchemas } from '#shared/contract/events.ts';

/** Properties of {@link EventSchemas}. */
export interface EventSchemasProps {
  /** @default contact-triggers */
  readonly registryName?: string;
}

/**
 * The app contract as an EventBridge schema registry: one JSON Schema (draft 4) per public event type
 * (`contact.profiles@CustomerProfileUpdated`, the consent events, the erasure request) and the generic
 * customer event, generated from the same zod schemas the platform validates with
 * (`shared/contract/events.ts`). Producers in other languages download code bindings from it
 * (`aws schemas get-code-binding-source` or the console).
 */
export class EventSchemas extends Construct {
  readonly registry: eventschemas.CfnRegistry;
  readonly schemas: readonly eventschemas.CfnSchema[];

  constructor(scope: Construct, id: string, props: EventSchemasProps = {}) {
    super(scope, id);
    this.registry = new eventschemas.CfnRegistry(this, 'Registry', {
      registryName: props.registryName ?? 'contact-triggers',
      description: 'Public customer events of the contact-triggers platform (DESIGN.md "Public contracts")',
    });
    this.schemas = eventJsonSchemas().map((s) => {
      const schema = new eventschemas.CfnSchema(this, s.name.replace(/[^A-Za-z0-9]/g, ''), {
        registryName: this.registry.attrRegistryName,
        schemaName: s.name,
        type: 'JSONSchemaDraft4',
        content: s.content,
        description: `${s.source} / ${s.detailType}`,
      });
      return schema;
    });
  }
}
