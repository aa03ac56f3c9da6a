/** The languages the bot speaks (BOT_LANG). */
export type Lang = 'en' | 'zh-CN';
