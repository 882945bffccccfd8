import { describe, expect, it } from 'vitest';
import { emulateCustomResources } from '../../../lib/local/cloudformation/custom-resources.ts';
import { TemplateResolver } from '../../../lib/local/cloudformation/template.ts';
import { assemblyOf } from '../assembly.ts';

/** Two stacks as the shop's are split: `data` exports its table's stream, `app` imports it. */
const ASSEMBLY = assemblyOf({
  data: {
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Keys: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    },
    Outputs: {
      Stream: { Value: { 'Fn::GetAtt': ['Table', 'StreamArn'] }, Export: { Name: 'data:Stream' } },
      Keys: { Value: { Ref: 'Keys' }, Export: { Name: 'data:Keys' } },
    },
  },
  app: {
    Resources: {
      Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
      KeySet: {
        Type: 'Custom::KeySet',
        Properties: { SecretId: { 'Fn::ImportValue': 'data:Keys' }, Size: 2 },
      },
      Other: { Type: 'Custom::Unknown', Properties: { Anything: { 'Fn::GetAtt': ['Dlq', 'Nope'] } } },
    },
  },
});

const resolver = new TemplateResolver(ASSEMBLY, {
  tableNamePrefix: 'test-',
  apiEndpoint: 'http://localhost:3000',
  sqsEndpoint: 'http://127.0.0.1:9324',
});

describe('the template resolver (CloudFormation intrinsics against local resources)', () => {
  it('resolves Ref and Fn::GetAtt to the local stand-ins', () => {
    expect(resolver.resolve({ Ref: 'Table' }, 'data')).toBe('test-Table');
    expect(resolver.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] }, 'data')).toBe(
      'arn:aws:dynamodb:us-east-1:000000000000:table/test-Table',
    );
    expect(resolver.resolve({ Ref: 'Dlq' }, 'app')).toBe('http://127.0.0.1:9324/000000000000/app-Dlq');
  });

  it('resolves an import across stacks, and Fn::Sub, Fn::Join, Fn::Select and Fn::Split', () => {
    expect(resolver.resolve({ 'Fn::ImportValue': 'data:Stream' }, 'app')).toBe(
      'arn:aws:dynamodb:us-east-1:000000000000:table/test-Table/stream/local',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own placeholders.
    expect(resolver.resolve({ 'Fn::Sub': '${AWS::Region}/${Dlq.QueueName}' }, 'app')).toBe(
      'us-east-1/app-Dlq',
    );
    expect(resolver.resolve({ 'Fn::Join': ['-', ['a', { Ref: 'AWS::StackName' }]] }, 'app')).toBe('a-app');
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] }, 'app')).toBe('y');
  });

  it('refuses what it cannot resolve locally, naming it', () => {
    expect(() => resolver.resolve({ Ref: 'Missing' }, 'app')).toThrow(/unknown resource Missing in app/);
    expect(() => resolver.resolve({ 'Fn::GetAtt': ['Dlq', 'Nope'] }, 'app')).toThrow(/Dlq\.Nope/);
    expect(() => resolver.resolve({ 'Fn::ImportValue': 'nobody:exports-this' }, 'app')).toThrow(
      /No stack exports nobody:exports-this/,
    );
    expect(() => resolver.resolve({ 'Fn::If': ['c', 'a', 'b'] }, 'app')).toThrow(/cannot resolve Fn::If/);
  });
});

describe('custom resources, emulated by type', () => {
  it("hands an emulator its resource's properties resolved, and ignores types without one", () => {
    const seen: unknown[] = [];
    const { secretValues } = emulateCustomResources(resolver, {
      'Custom::KeySet': (resource) => {
        seen.push([resource.stackName, resource.logicalId, resource.property('Size')]);
        return { secretValues: { [String(resource.property('SecretId'))]: 'generated key set' } };
      },
    });
    expect(seen).toEqual([['app', 'KeySet', 2]]);
    // SecretId imports the secret's ARN from the data stack; Custom::Unknown's property, which
    // does not resolve locally, is never looked at.
    expect([...secretValues]).toEqual([
      ['arn:aws:secretsmanager:us-east-1:000000000000:secret:data-Keys-local', 'generated key set'],
    ]);
  });
});
