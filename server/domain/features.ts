// Kinds of special spaces a driver can look for (EV charging, disabled, …),
// named after ParkAPI's capacities. Pure and free of dependencies: the search
// API and the browser's map filters both use it.
import type { LotMeta } from './lot.ts';

export const lotFeatures = ['ev', 'disabled', 'family', 'women'] as const;
export type LotFeature = (typeof lotFeatures)[number];

type SpecialCapacities = Pick<LotMeta, 'capacityCharging' | 'capacityDisabled' | 'capacityFamily' | 'capacityWomen'>;

const featureCapacity: Record<LotFeature, (lot: SpecialCapacities) => number | null> = {
  ev: (lot) => lot.capacityCharging,
  disabled: (lot) => lot.capacityDisabled,
  family: (lot) => lot.capacityFamily,
  women: (lot) => lot.capacityWomen,
};

/** How many spaces of a kind a lot has; null: not known. */
export function featureCapacityOf(lot: SpecialCapacities, feature: LotFeature): number | null {
  return featureCapacity[feature](lot);
}

/** Whether a lot has spaces of a kind (an unknown count, null, does not qualify). */
export function hasFeature(lot: SpecialCapacities, feature: LotFeature): boolean {
  return (featureCapacity[feature](lot) ?? 0) > 0;
}
