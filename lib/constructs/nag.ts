/**
 * cdk-nag acknowledgements that name the exact finding. cdk-nag identifies a wildcard resource by the
 * flattened form of its (resolved) ARN; `acknowledgeWildcard` computes that same form, so that an
 * acknowledgement covers one resource pattern, never a whole rule.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The flattening cdk-nag applies to CloudFormation references (utils/flatten-cfn-reference). */
export function flattenCfnReference(reference: unknown): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
    const value = node as Record<string, unknown>;
    if (value['Fn::Join']) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (value['Fn::Sub']) return visit(value['Fn::Sub']);
    if (value['Fn::GetAtt']) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (value['Fn::ImportValue']) return visit(value['Fn::ImportValue']);
    if (value.Ref) return `<${visit(value.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(reference);
}

/** Acknowledges AwsSolutions-IAM5 for one wildcard resource (an ARN string or token) on `scope`. */
export function acknowledgeWildcard(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

/** Acknowledges AwsSolutions-IAM5 for one wildcard action (e.g. "kms:GenerateDataKey*") on `scope`. */
export function acknowledgeWildcardAction(scope: IConstruct, action: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
}
