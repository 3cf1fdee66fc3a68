//! The text W6 sends: chat-like messages, mostly Chinese, some English, some mixed, with words
//! drawn by a Zipf-like rank (a few very common, a long tail), and planted phrases the queries
//! look for. Deterministic per message index, so a run can be repeated.

use crate::stats::mix;

/// Common Chinese words, most frequent first.
const ZH: &[&str] = &[
    "我们",
    "今天",
    "这个",
    "可以",
    "已经",
    "一下",
    "明天",
    "问题",
    "项目",
    "时间",
    "客户",
    "会议",
    "需要",
    "大家",
    "没有",
    "现在",
    "下午",
    "上午",
    "方案",
    "测试",
    "数据",
    "系统",
    "版本",
    "发布",
    "文档",
    "确认",
    "处理",
    "安排",
    "同事",
    "部门",
    "预算",
    "合同",
    "报告",
    "计划",
    "进度",
    "需求",
    "设计",
    "开发",
    "上线",
    "服务器",
    "接口",
    "用户",
    "反馈",
    "修改",
    "评审",
    "周末",
    "晚上",
    "中午",
    "吃饭",
    "咖啡",
    "出差",
    "航班",
    "酒店",
    "报销",
    "审批",
    "流程",
    "培训",
    "招聘",
    "面试",
    "简历",
    "季度",
    "目标",
    "总结",
    "复盘",
    "风险",
    "质量",
    "性能",
    "优化",
    "监控",
    "告警",
    "故障",
    "恢复",
    "备份",
    "迁移",
    "升级",
    "兼容",
    "安全",
    "权限",
    "账号",
    "密码",
    "登录",
    "手机",
    "电脑",
    "网络",
    "打印",
    "会议室",
    "投影",
    "白板",
    "快递",
    "包裹",
    "地址",
    "电话",
    "邮件",
    "附件",
    "图片",
    "视频",
    "链接",
    "谢谢",
    "好的",
    "收到",
    "辛苦",
    "没问题",
    "稍等",
    "马上",
    "抱歉",
    "麻烦",
    "请问",
    "北京",
    "上海",
    "深圳",
    "杭州",
];

/// Common English words, most frequent first.
const EN: &[&str] = &[
    "the",
    "meeting",
    "please",
    "thanks",
    "today",
    "tomorrow",
    "review",
    "update",
    "team",
    "project",
    "release",
    "client",
    "deadline",
    "report",
    "budget",
    "check",
    "issue",
    "fixed",
    "build",
    "test",
    "deploy",
    "server",
    "design",
    "draft",
    "notes",
    "agenda",
    "call",
    "lunch",
    "coffee",
    "schedule",
    "weekend",
    "office",
    "travel",
    "flight",
    "hotel",
    "invoice",
    "approval",
    "contract",
    "quarter",
    "target",
    "summary",
    "risk",
    "quality",
    "latency",
    "monitoring",
    "alert",
    "outage",
    "restore",
    "backup",
    "migration",
    "upgrade",
    "security",
    "access",
    "account",
    "password",
    "laptop",
    "network",
    "printer",
    "room",
    "whiteboard",
    "parcel",
    "address",
    "phone",
    "email",
    "attachment",
    "picture",
    "video",
    "link",
    "sorry",
    "sure",
    "okay",
    "great",
    "done",
    "soon",
    "later",
    "morning",
    "afternoon",
    "evening",
    "customer",
    "feedback",
    "metrics",
    "dashboard",
    "roadmap",
    "sprint",
    "standup",
    "retro",
    "hiring",
    "interview",
    "onboarding",
    "training",
    "policy",
    "compliance",
    "audit",
    "vendor",
];

/// Planted in 1 % of messages of every conversation.
pub const PHRASE: &str = "新的部署方案已经发布";
/// Planted in 0.5 % of messages of every conversation.
pub const PHRASE_EN: &str = "deployment checklist";
/// Planted in 1 % of messages, only in conversations the searcher is not in: the query that
/// must walk many matches the searcher may not read.
pub const ELSEWHERE: &str = "机密项目代号";

/// A rank in `0..len`, rank `r` about `1/(r+1)` as likely as rank 0.
fn zipf(len: usize, draw: u64) -> usize {
    // Inverse of the harmonic CDF, approximately: exp(u · ln(len + 1)) - 1.
    let u = (draw >> 11) as f64 / (1u64 << 53) as f64;
    let r = ((len as f64 + 1.0).ln() * u).exp() - 1.0;
    (r as usize).min(len - 1)
}

/// The text of message `n`, in a conversation the searcher is (`mine`) or is not in.
pub fn message(n: u64, mine: bool) -> String {
    let mut draw = mix(n);
    let mut next = || {
        draw = mix(draw);
        draw
    };
    let style = next() % 100;
    let mut out = String::new();
    // 45 % Chinese (2 to 12 words: 4 to ~40 characters), 35 % English (2 to 15 words), 20 % mixed.
    if !(45..80).contains(&style) {
        for _ in 0..2 + next() % 11 {
            out.push_str(ZH[zipf(ZH.len(), next())]);
        }
    }
    if style >= 45 {
        let words = 2 + next() % 14;
        for i in 0..words {
            if i > 0 || !out.is_empty() {
                out.push(' ');
            }
            out.push_str(EN[zipf(EN.len(), next())]);
        }
    }
    let plant = next() % 1000;
    if plant < 10 {
        out.push_str(&format!(" {PHRASE}"));
    } else if plant < 15 {
        out.push_str(&format!(" {PHRASE_EN}"));
    } else if !mine && plant < 25 {
        out.push_str(&format!(" {ELSEWHERE}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_deterministic_varied_and_planted_at_the_stated_rates() {
        assert_eq!(message(7, true), message(7, true));
        let texts: Vec<String> = (0..20_000).map(|n| message(n, false)).collect();
        let share = |needle: &str| texts.iter().filter(|t| t.contains(needle)).count() as f64 / texts.len() as f64;
        assert!((0.007..0.013).contains(&share(PHRASE)), "{}", share(PHRASE));
        assert!((0.003..0.007).contains(&share(PHRASE_EN)), "{}", share(PHRASE_EN));
        assert!((0.007..0.013).contains(&share(ELSEWHERE)), "{}", share(ELSEWHERE));
        assert!(!(0..5_000).any(|n| message(n, true).contains(ELSEWHERE)));
        // The most common word is common, the rarest rare.
        assert!(share(ZH[0]) > 0.1, "{}", share(ZH[0]));
        assert!(share(ZH[ZH.len() - 1]) < 0.02, "{}", share(ZH[ZH.len() - 1]));
        let chars: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
        assert!(chars.iter().all(|&c| c >= 2) && chars.iter().any(|&c| c > 60), "lengths vary");
    }
}
