/**
 * The stateless stack: every scheduled job, the alert routing, the alarms and the dashboard. It can be
 * destroyed and redeployed freely; all state lives in the DataStack.
 */
import { Annotations, Stack, type StackProps } from 'aws-cdk-lib';
import { AlarmStatusWidget } from 'aws-cdk-lib/aws-cloudwatch';
import {
  CfnVPCEndpoint,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  Subnet,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { NetworkConfig, NightshiftConfig } from '../config/schema';
import { Alerting } from '../constructs/alerting';
import { Backups } from '../constructs/backup';
import type { NightshiftContext, NightshiftNetwork } from '../constructs/context';
import { ProjectDashboard } from '../constructs/dashboard';
import { DbMaintenance } from '../constructs/db-maintenance';
import { HealthChecks } from '../constructs/health-check';
import { LogArchive } from '../constructs/log-archive';
import { bucketNames } from '../constructs/names';
import { StatusPage } from '../constructs/status-page';
import type { DataStack } from './data-stack';

export interface JobsStackProps extends StackProps {
  readonly config: NightshiftConfig;
  readonly data: DataStack;
}

export class JobsStack extends Stack {
  readonly context: NightshiftContext;
  readonly dashboard: ProjectDashboard;

  constructor(scope: Construct, id: string, props: JobsStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    this.dashboard = new ProjectDashboard(this, 'Dashboard', {
      dashboardName: `${config.project}-nightshift`,
      enabled: config.alerts.dashboard,
    });
    const names = bucketNames(this, config);
    this.context = {
      project: config.project,
      config,
      timeZone: config.timezone,
      key: data.key,
      backupBucket: Bucket.fromBucketAttributes(this, 'BackupBucket', {
        bucketName: names.backups,
        ...(data.key ? { encryptionKey: data.key } : {}),
      }),
      logBucket: Bucket.fromBucketAttributes(this, 'LogBucket', {
        bucketName: names.logs,
        ...(data.key ? { encryptionKey: data.key } : {}),
      }),
      levelTopics: data.levelTopics,
      network: this.importNetwork(config),
      dashboard: this.dashboard,
      alarms: [],
    };
    const context = this.context;
    void context; // capabilities register below, one guarded line each
    new Alerting(this, 'Alerting', { context });
    const health = config.healthChecks?.targets.length
      ? new HealthChecks(this, 'HealthChecks', { context })
      : undefined;
    if (config.logArchive) new LogArchive(this, 'LogArchive', { context });
    if (config.backups?.targets.length) new Backups(this, 'Backups', { context });
    if (config.maintenance?.tasks.length) new DbMaintenance(this, 'DbMaintenance', { context });
    if (config.statusPage && health)
      new StatusPage(this, 'StatusPage', { context, targetAlarms: health.targetAlarms });

    // Alarm status of everything above, on top of the dashboard.
    if (this.dashboard.dashboard && context.alarms.length > 0) {
      this.dashboard.addSection('Alarms', [
        new AlarmStatusWidget({
          title: 'All Nightshift alarms',
          alarms: context.alarms,
          width: 24,
          height: 6,
        }),
      ]);
    }
  }

  private importNetwork(config: NightshiftConfig): NightshiftNetwork | undefined {
    const network = config.network;
    if (!network) return undefined;
    const vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: network.vpcId,
      // Only used to pair subnets with zones; the jobs always use the explicit subnets below.
      availabilityZones:
        network.availabilityZones ?? network.subnetIds.map((_, i) => `${config.region}-zone${i}`),
      privateSubnetIds: network.subnetIds,
    });
    const imported = {
      vpc,
      subnets: network.subnetIds.map((subnetId, i) => Subnet.fromSubnetId(this, `Subnet${i}`, subnetId)),
      securityGroups: network.securityGroupIds.map((sgId, i) =>
        SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, sgId, { mutable: false }),
      ),
    };
    // The jobs only place their network interfaces in these subnets; nothing reads the subnets' route
    // tables (the S3 gateway endpoint takes its own list), so CDK's warning that they are unknown is noise.
    Annotations.of(this).acknowledgeWarning(
      '@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'imported subnets are only used for the functions’ network interfaces',
    );
    this.vpcEndpoints(network, imported);
    return imported;
  }

  /**
   * The endpoints `network` asks for: an S3 gateway endpoint (free; backups and archives then bypass the
   * NAT gateway's per-GB charge) and interface endpoints, each reachable on 443 from the jobs' groups.
   */
  private vpcEndpoints(network: NetworkConfig, imported: NightshiftNetwork): void {
    if (network.s3GatewayEndpoint) {
      new CfnVPCEndpoint(this, 'S3GatewayEndpoint', {
        vpcId: network.vpcId,
        serviceName: `com.amazonaws.${this.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: network.s3GatewayEndpoint.routeTableIds,
      });
    }
    if (network.interfaceEndpoints.length === 0) return;
    const securityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: imported.vpc,
      description: 'Nightshift interface endpoints: HTTPS from the job security groups',
      allowAllOutbound: false,
    });
    for (const sgId of network.securityGroupIds)
      securityGroup.addIngressRule(Peer.securityGroupId(sgId), Port.tcp(443), `HTTPS from ${sgId}`);
    for (const service of network.interfaceEndpoints) {
      new InterfaceVpcEndpoint(this, `Endpoint-${service}`, {
        vpc: imported.vpc,
        service: new InterfaceVpcEndpointAwsService(service),
        subnets: { subnets: imported.subnets },
        securityGroups: [securityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}
