/** The equipment and access API as the dashboard uses it (shapes from @ma/protocol, types only). */
import type { EquipmentView, PersonView, SwitchResponse, TrainingView, UsageResponse } from '@ma/protocol';
import { api } from '../auth/session';

export type { EquipmentView, PersonView, TrainingView, UsageResponse };

export const listEquipment = () => api<{ equipment: EquipmentView[] }>('GET', '/equipment').then((r) => r.equipment);
export const getEquipment = (name: string) => api<EquipmentView>('GET', `/equipment/${encodeURIComponent(name)}`);
export const getReach = (name: string) =>
  api<{ reached: number; total: number; nodes: Array<{ node: string; version: number | null; reported_version: number | null; reported_at: number | null }> }>('GET', `/equipment/${encodeURIComponent(name)}/reach`);
export const switchActuator = (node: string, actuator: string, value: 'on' | 'off', reason: string) =>
  api<SwitchResponse>('POST', `/nodes/${encodeURIComponent(node)}/actuators/${encodeURIComponent(actuator)}/switch`, { value, reason });
export const setLockout = (name: string, mode: 'safety' | 'maintenance', reason: string) => api('POST', `/equipment/${encodeURIComponent(name)}/lockout`, { mode, reason });
export const clearLockout = (name: string, reason: string) => api('DELETE', `/equipment/${encodeURIComponent(name)}/lockout?reason=${encodeURIComponent(reason)}`);
export const listTrainings = (equipment?: string) => api<{ trainings: TrainingView[] }>('GET', `/trainings${equipment ? `?equipment=${encodeURIComponent(equipment)}` : ''}`).then((r) => r.trainings);
export const grantTraining = (equipment: string, person: string, body: { expires_in_days?: number; lapse_days?: number; reason: string }) =>
  api<TrainingView>('PUT', `/equipment/${encodeURIComponent(equipment)}/trainings/${encodeURIComponent(person)}`, body);
export const revokeTraining = (equipment: string, person: string, reason: string) =>
  api<TrainingView>('DELETE', `/equipment/${encodeURIComponent(equipment)}/trainings/${encodeURIComponent(person)}?reason=${encodeURIComponent(reason)}`);
export const listPeople = () => api<{ people: PersonView[] }>('GET', '/people').then((r) => r.people);
export const addPerson = (body: { name: string; groups: string[]; user?: string }) => api<PersonView>('POST', '/people', body);
export const enrolByTap = (person: number, node: string, seconds: number) => api<{ id: number; last4: string }>('POST', `/people/${person}/cards`, { tap: { node, seconds } });
export const enrolById = (person: number, cardId: string) => api<{ id: number; last4: string }>('POST', `/people/${person}/cards`, { card_id: cardId });
export const revokeCard = (card: number, reason: string) => api('DELETE', `/cards/${card}?reason=${encodeURIComponent(reason)}`);
export const importPeople = (csv: string, dryRun: boolean) =>
  api<{ applied: boolean; rows: number; people_created: number; people_updated: number; cards_added: number; cards_unchanged: number; trainings_granted: number; errors: Array<{ line: number; message: string }> }>('POST', '/people/import', { csv, dry_run: dryRun });
export const getUsage = (equipment?: string) => api<UsageResponse>('GET', `/usage${equipment ? `?equipment=${encodeURIComponent(equipment)}` : ''}`);
