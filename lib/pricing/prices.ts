/**
 * AWS list prices that Nightshift's monthly estimate uses, one versioned table per region. Each table says
 * where its figures come from and when they were read; `pricesFor` fails clearly on a region without one.
 *
 * Prices are USD, on-demand, arm64 where a service distinguishes (every Nightshift function is arm64).
 * SMS prices depend on the destination country and carrier fees, so the table holds an assumed price per
 * message that `nightshift plan --sms-price` overrides.
 */

export const PRICES_VERSION = '2026-12-03';

export interface RegionPrices {
  readonly region: string;
  /** Where the figures come from. */
  readonly source: string;
  /** When they were read (YYYY-MM-DD). */
  readonly asOf: string;
  readonly cloudwatch: {
    /** Per alarm metric per month, standard resolution (period ≥ 60 s). A metric-math alarm counts each metric. */
    readonly alarmMetricMonth: number;
    /** Per alarm metric per month, high resolution (period 10 s or 30 s). */
    readonly alarmMetricHighResMonth: number;
    /** Per custom metric (name + dimension set) per month, prorated by the hours in which it is sent. */
    readonly customMetricMonth: number;
    readonly dashboardMonth: number;
    /** Per GB of log data ingested (standard class). */
    readonly logsIngestGb: number;
    /** Per GB-month of log data stored (compressed). */
    readonly logsStorageGbMonth: number;
    /** Per 1,000 metrics requested by GetMetricData (the status page). */
    readonly getMetricDataPerThousandMetrics: number;
  };
  /** CloudFront in front of a public status page (US/Europe viewers). */
  readonly cloudfront: { readonly httpsRequestsPerTenThousand: number; readonly transferOutGb: number };
  readonly lambda: { readonly gbSecondArm: number; readonly requestsPerMillion: number };
  readonly scheduler: { readonly invocationsPerMillion: number };
  readonly stepFunctions: { readonly transitionsPerThousand: number };
  readonly dynamodb: {
    readonly writeRequestsPerMillion: number;
    readonly readRequestsPerMillion: number;
    readonly storageGbMonth: number;
  };
  readonly sqs: { readonly requestsPerMillion: number };
  readonly sns: {
    readonly publishesPerMillion: number;
    readonly emailsPerHundredThousand: number;
    /** Assumed price of one SMS segment, carrier fees included (varies by country). */
    readonly smsAssumed: number;
  };
  readonly kms: { readonly keyMonth: number; readonly requestsPerTenThousand: number };
  readonly secretsManager: { readonly secretMonth: number; readonly callsPerTenThousand: number };
  readonly s3: {
    readonly standardGbMonth: number;
    readonly standardIaGbMonth: number;
    readonly glacierInstantGbMonth: number;
    readonly glacierFlexibleGbMonth: number;
    readonly deepArchiveGbMonth: number;
    readonly putPerThousand: number;
    readonly getPerThousand: number;
  };
  readonly xray: { readonly tracesRecordedPerMillion: number };
  readonly vpc: {
    readonly natGatewayHour: number;
    readonly natGatewayGb: number;
    /** Per interface endpoint per availability zone per hour. */
    readonly interfaceEndpointHour: number;
    readonly interfaceEndpointGb: number;
  };
}

/** Monthly allowances of the AWS Free Tier that never expire (the 12-month offers are not counted). */
export const ALWAYS_FREE = {
  alarmMetrics: 10,
  customMetrics: 10,
  dashboards: 3,
  /** Log ingestion, archive storage and Logs Insights scans together. */
  logsGb: 5,
  lambdaGbSeconds: 400_000,
  lambdaRequests: 1_000_000,
  schedulerInvocations: 14_000_000,
  stepFunctionsTransitions: 4_000,
  sqsRequests: 1_000_000,
  snsPublishes: 1_000_000,
  snsEmails: 1_000,
  kmsRequests: 20_000,
  dynamodbStorageGb: 25,
  xrayTraces: 100_000,
  cloudfrontRequests: 10_000_000,
  cloudfrontTransferGb: 1_000,
} as const;

export const HOURS_PER_MONTH = 730;

const US_EAST_1: RegionPrices = {
  region: 'us-east-1',
  source:
    'aws.amazon.com/<service>/pricing pages (CloudWatch, Lambda, EventBridge, CloudFront, Step Functions, DynamoDB on-demand, SQS, SNS, KMS, Secrets Manager, S3, X-Ray, VPC)',
  asOf: '2026-12-03',
  cloudwatch: {
    alarmMetricMonth: 0.1,
    alarmMetricHighResMonth: 0.3,
    customMetricMonth: 0.3,
    dashboardMonth: 3,
    logsIngestGb: 0.5,
    logsStorageGbMonth: 0.03,
    getMetricDataPerThousandMetrics: 0.01,
  },
  cloudfront: { httpsRequestsPerTenThousand: 0.01, transferOutGb: 0.085 },
  lambda: { gbSecondArm: 0.0000133334, requestsPerMillion: 0.2 },
  scheduler: { invocationsPerMillion: 1 },
  stepFunctions: { transitionsPerThousand: 0.025 },
  dynamodb: { writeRequestsPerMillion: 0.625, readRequestsPerMillion: 0.125, storageGbMonth: 0.25 },
  sqs: { requestsPerMillion: 0.4 },
  sns: { publishesPerMillion: 0.5, emailsPerHundredThousand: 2, smsAssumed: 0.0085 },
  kms: { keyMonth: 1, requestsPerTenThousand: 0.03 },
  secretsManager: { secretMonth: 0.4, callsPerTenThousand: 0.05 },
  s3: {
    standardGbMonth: 0.023,
    standardIaGbMonth: 0.0125,
    glacierInstantGbMonth: 0.004,
    glacierFlexibleGbMonth: 0.0036,
    deepArchiveGbMonth: 0.00099,
    putPerThousand: 0.005,
    getPerThousand: 0.0004,
  },
  xray: { tracesRecordedPerMillion: 5 },
  vpc: { natGatewayHour: 0.045, natGatewayGb: 0.045, interfaceEndpointHour: 0.01, interfaceEndpointGb: 0.01 },
};

/** Regions priced like us-east-1 for every line Nightshift uses. */
const sameAsUsEast1 = (region: string): RegionPrices => ({ ...US_EAST_1, region });

const EU_WEST_1: RegionPrices = {
  ...US_EAST_1,
  region: 'eu-west-1',
  source: `${US_EAST_1.source}; the EU (Ireland) column`,
  cloudwatch: { ...US_EAST_1.cloudwatch, logsStorageGbMonth: 0.03 },
  sns: { ...US_EAST_1.sns, smsAssumed: 0.07 },
  s3: { ...US_EAST_1.s3, glacierFlexibleGbMonth: 0.0036, deepArchiveGbMonth: 0.00099 },
  vpc: {
    natGatewayHour: 0.048,
    natGatewayGb: 0.048,
    interfaceEndpointHour: 0.011,
    interfaceEndpointGb: 0.01,
  },
};

const EU_CENTRAL_1: RegionPrices = {
  ...US_EAST_1,
  region: 'eu-central-1',
  source: `${US_EAST_1.source}; the EU (Frankfurt) column`,
  cloudwatch: { ...US_EAST_1.cloudwatch, logsIngestGb: 0.63, logsStorageGbMonth: 0.0324 },
  sns: { ...US_EAST_1.sns, smsAssumed: 0.08 },
  s3: {
    ...US_EAST_1.s3,
    standardGbMonth: 0.0245,
    standardIaGbMonth: 0.0135,
    glacierInstantGbMonth: 0.005,
    glacierFlexibleGbMonth: 0.0045,
    deepArchiveGbMonth: 0.0018,
    putPerThousand: 0.0054,
    getPerThousand: 0.00043,
  },
  vpc: {
    natGatewayHour: 0.052,
    natGatewayGb: 0.052,
    interfaceEndpointHour: 0.012,
    interfaceEndpointGb: 0.01,
  },
};

const TABLES: Record<string, RegionPrices> = {
  'us-east-1': US_EAST_1,
  'us-east-2': sameAsUsEast1('us-east-2'),
  'us-west-2': sameAsUsEast1('us-west-2'),
  'eu-west-1': EU_WEST_1,
  'eu-central-1': EU_CENTRAL_1,
};

export class PricingRegionUnknown extends Error {
  constructor(readonly region: string) {
    super(
      `no price table for region "${region}": Nightshift ships ${Object.keys(TABLES).join(', ')}. ` +
        'Pass --pricing-region with one of them for an approximate figure, or add a table to lib/pricing/prices.ts.',
    );
    this.name = 'PricingRegionUnknown';
  }
}

export function pricingRegions(): string[] {
  return Object.keys(TABLES);
}

export function pricesFor(region: string): RegionPrices {
  const table = TABLES[region];
  if (!table) throw new PricingRegionUnknown(region);
  return table;
}
