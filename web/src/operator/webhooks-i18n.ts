// The strings of the operator page's alerts view (webhooks and their delivery log), in Chinese and English.
import type { AlertState, DeliveryEvent, DeliveryStatus, WebhookEvent } from '../../../server/domain/webhooks.ts';
import type { Lang } from '../i18n.ts';

const zh = {
  open: '告警',
  title: '告警（Webhook）',
  hint: '发生以下事件时，服务会向您的网址发送签名的 POST 请求（X-Kongwei-Signature：请求体的 HMAC-SHA256），失败时自动重试。',
  url: '接收网址（https://…）',
  events: '事件',
  description: '说明（可选）',
  add: '添加 Webhook',
  none: '还没有 Webhook。',
  secretOnce: '签名密钥只显示这一次，请立即复制到接收端：',
  created: '已添加 Webhook。',
  test: '发送测试',
  tested: '已加入测试投递。',
  log: '投递记录',
  hideLog: '收起记录',
  refresh: '刷新',
  enable: '启用',
  disable: '停用',
  remove: '删除',
  confirmDelete: (url: string) => `确定删除发往 ${url} 的 Webhook 吗？其投递记录也会删除。`,
  deleted: '已删除 Webhook。',
  disabled: '（已停用）',
  redeliver: '重新投递',
  noDeliveries: '还没有投递。',
  columns: { when: '时间', event: '事件', subject: '对象', status: '状态', attempts: '尝试', response: '响应', next: '下次重试', error: '错误' },
  eventNames: {
    'gateway.offline': '网关离线', 'lot.stale': '数据过期', 'lot.clamped': '计数越界（已修正）', 'lot.full': '车位已满', 'lot.changed': '停车场信息变更', ping: '测试',
  } as Record<DeliveryEvent, string>,
  states: { firing: '发生', resolved: '恢复' } as Record<AlertState, string>,
  statuses: { pending: '待投递', delivered: '已送达', failed: '失败' } as Record<DeliveryStatus, string>,
};

const en: typeof zh = {
  open: 'Alerts',
  title: 'Alerts (webhooks)',
  hint: 'When one of these happens, the service POSTs to your URL, signed (X-Kongwei-Signature: the HMAC-SHA256 of the body), and retries if it fails.',
  url: 'Receiver URL (https://…)',
  events: 'Events',
  description: 'Description (optional)',
  add: 'Add webhook',
  none: 'No webhooks yet.',
  secretOnce: 'The signing secret is shown this once: copy it into your receiver now:',
  created: 'Webhook added.',
  test: 'Send test',
  tested: 'Test delivery queued.',
  log: 'Deliveries',
  hideLog: 'Hide deliveries',
  refresh: 'Refresh',
  enable: 'Enable',
  disable: 'Disable',
  remove: 'Delete',
  confirmDelete: (url) => `Delete the webhook to ${url}? Its delivery log goes too.`,
  deleted: 'Webhook deleted.',
  disabled: '(disabled)',
  redeliver: 'Redeliver',
  noDeliveries: 'No deliveries yet.',
  columns: { when: 'When', event: 'Event', subject: 'About', status: 'Status', attempts: 'Attempts', response: 'Answer', next: 'Next retry', error: 'Error' },
  eventNames: {
    'gateway.offline': 'gateway offline', 'lot.stale': 'data stale', 'lot.clamped': 'count clamped', 'lot.full': 'lot full', 'lot.changed': 'lot changed', ping: 'test',
  },
  states: { firing: 'began', resolved: 'ended' },
  statuses: { pending: 'pending', delivered: 'delivered', failed: 'failed' },
};

export type WebhookStrings = typeof zh;

export function webhookStrings(lang: Lang): WebhookStrings {
  return lang === 'zh' ? zh : en;
}

export const SUBSCRIBABLE: readonly WebhookEvent[] = ['lot.full', 'lot.stale', 'lot.clamped', 'gateway.offline', 'lot.changed'];
