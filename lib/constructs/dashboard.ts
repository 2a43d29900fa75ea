/**
 * A small widget registry for the project dashboard: each capability adds a titled section;
 * the JobsStack puts the alarm status widget on top once every alarm exists.
 */
import { Dashboard, type IWidget, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface DashboardRegistry {
  /** Adds a section: a heading and its widgets (laid out left to right, wrapping at 24 columns). */
  addSection(title: string, widgets: IWidget[]): void;
  /** Section titles added so far. */
  readonly sections: readonly string[];
}

export interface ProjectDashboardProps {
  /** Dashboard name. */
  readonly dashboardName: string;
  /** When false, sections are accepted and dropped (config.alerts.dashboard, off by default: it costs $3/month). @default true */
  readonly enabled?: boolean;
}

export class ProjectDashboard extends Construct implements DashboardRegistry {
  readonly dashboard?: Dashboard;
  private readonly titles: string[] = [];

  constructor(scope: Construct, id: string, props: ProjectDashboardProps) {
    super(scope, id);
    if (props.enabled ?? true) {
      this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    }
  }

  get sections(): readonly string[] {
    return this.titles;
  }

  addSection(title: string, widgets: IWidget[]): void {
    this.titles.push(title);
    if (!this.dashboard) return;
    this.dashboard.addWidgets(new TextWidget({ markdown: `## ${title}`, width: 24, height: 1 }));
    for (let i = 0; i < widgets.length; i += 4) {
      this.dashboard.addWidgets(...widgets.slice(i, i + 4));
    }
  }
}
