import type { Lang } from "../applayout.js";

// Labels the new screens share (Vietnamese first): a campaign's kind and a payment's purpose.

export const CAMPAIGN_KIND: Record<Lang, Record<string, string>> = {
  vi: {
    for_the_poor: "Quỹ “Vì người nghèo”", tet_gifts: "Quà Tết", solidarity_house: "Nhà Đại đoàn kết", livelihood: "Hỗ trợ sinh kế",
    relief: "Cứu trợ (thiên tai, dịch bệnh)", other: "Khác",
  },
  en: {
    for_the_poor: "For the Poor fund", tet_gifts: "Tết gifts", solidarity_house: "Great Solidarity houses", livelihood: "Livelihood aid",
    relief: "Relief (disasters, epidemics)", other: "Other",
  },
};

export const PURPOSE: Record<Lang, Record<string, string>> = {
  vi: {
    gift_package: "trao quà (suất quà)", house_new: "xây nhà Đại đoàn kết", house_repair: "sửa chữa nhà", livelihood: "hỗ trợ sinh kế", schooling: "học tập",
    health: "y tế", relief_cash: "hỗ trợ tiền mặt", infrastructure: "công trình", regular_support: "trợ cấp thường xuyên", other: "khác",
  },
  en: {
    gift_package: "gift packages", house_new: "new houses", house_repair: "house repairs", livelihood: "livelihood", schooling: "schooling",
    health: "health", relief_cash: "cash relief", infrastructure: "infrastructure", regular_support: "regular support", other: "other",
  },
};
